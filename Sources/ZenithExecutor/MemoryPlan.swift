/// Where each tensor lives, planned once per model: tensors whose lifetimes do not overlap
/// share a slot, so an executor allocates its activation memory once, at start, and a run
/// allocates none.
///
/// A slot holds `floatsPerSample` floats for every sample of a group; a tensor is written
/// while its inputs are still alive, so a node never writes over what it reads.
struct MemoryPlan: Sendable {
    /// Per tensor: its slot.
    var slot: [Int]
    /// Per slot: the largest per-sample tensor it holds, in floats.
    var floatsPerSample: [Int]

    init(graph: CompiledGraph) {
        let count = graph.shapes.count
        var lastUse = [Int](repeating: -1, count: count)
        for (s, step) in graph.steps.enumerated() {
            switch step {
            case .node(let i): for t in graph.nodes[i].inputs { lastUse[t] = max(lastUse[t], s) }
            case .exitCheck(let b): lastUse[graph.branches[b].output] = max(lastUse[graph.branches[b].output], s)
            }
        }
        lastUse[graph.output] = graph.steps.count
        // Per-sample runs after a filter branch gather these again: keep them to the end of that check.
        for (b, live) in graph.liveAtExit.enumerated() {
            for t in live { lastUse[t] = max(lastUse[t], graph.exitStep[b]) }
        }

        var slot = [Int](repeating: -1, count: count)
        var sizes: [Int] = []
        var free: [Int] = []
        func allocate(_ tensor: Int) {
            let need = graph.shapes[tensor].elementCount
            // Best fit among free slots; else grow the largest free one; else a new slot.
            if let best = free.filter({ sizes[$0] >= need }).min(by: { sizes[$0] < sizes[$1] }) {
                slot[tensor] = best
                free.removeAll { $0 == best }
            } else if let largest = free.max(by: { sizes[$0] < sizes[$1] }) {
                sizes[largest] = need
                slot[tensor] = largest
                free.removeAll { $0 == largest }
            } else {
                slot[tensor] = sizes.count
                sizes.append(need)
            }
        }
        allocate(graph.input)
        for (s, step) in graph.steps.enumerated() {
            guard case .node(let i) = step else {
                for t in 0..<count where slot[t] >= 0 && lastUse[t] == s && !free.contains(slot[t]) { free.append(slot[t]) }
                continue
            }
            allocate(graph.nodes[i].output)
            for t in Set(graph.nodes[i].inputs) where lastUse[t] == s { free.append(slot[t]) }
            if lastUse[graph.nodes[i].output] < 0 { free.append(slot[graph.nodes[i].output]) }
        }
        self.slot = slot
        self.floatsPerSample = sizes
    }
}
