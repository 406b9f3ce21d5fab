/// A graph resolved for execution: tensor shapes, nodes with weights, and the order to run
/// them in, with each branch's exit check right after the trunk node that feeds it.
struct CompiledGraph: Sendable {
    enum Step: Sendable, Equatable {
        case node(Int)
        /// The samples whose branch logits clear the plan's threshold leave here.
        case exitCheck(branch: Int)
    }

    var tensorNames: [String]
    var shapes: [TensorShape]
    /// Trunk nodes first, in topological order, then each branch's nodes.
    var nodes: [GraphNode]
    var branches: [CompiledBranch]
    var input: Int
    var output: Int
    var steps: [Step]
    /// Per tensor: the node indices that read it.
    var consumers: [[Int]]
    /// Per branch: the trunk tensors alive across its exit check (those the trunk still reads later).
    var liveAtExit: [[Int]]
    /// Per branch: the step index of its exit check.
    var exitStep: [Int]

    /// Index of the step that runs `node`.
    func step(of node: Int) -> Int { steps.firstIndex(of: .node(node))! }

    init(tensorNames: [String], shapes: [TensorShape], nodes: [GraphNode], branches: [CompiledBranch], input: Int, output: Int) {
        self.tensorNames = tensorNames
        self.shapes = shapes
        self.nodes = nodes
        self.branches = branches
        self.input = input
        self.output = output
        var consumers = [[Int]](repeating: [], count: shapes.count)
        for (i, node) in nodes.enumerated() {
            for t in node.inputs { consumers[t].append(i) }
        }
        self.consumers = consumers

        var producer = [Int?](repeating: nil, count: shapes.count)
        for (i, node) in nodes.enumerated() { producer[node.output] = i }
        var steps: [Step] = []
        func emitBranches(at tensor: Int) {
            for (b, branch) in branches.enumerated() where branch.at == tensor {
                for (i, node) in nodes.enumerated() where node.branch == b { steps.append(.node(i)) }
                steps.append(.exitCheck(branch: b))
            }
        }
        emitBranches(at: input)
        for (i, node) in nodes.enumerated() where node.branch == nil {
            steps.append(.node(i))
            emitBranches(at: node.output)
        }
        self.steps = steps
        self.exitStep = branches.indices.map { b in steps.firstIndex(of: .exitCheck(branch: b))! }

        // A trunk tensor is alive across a check when it exists by then and a later trunk step reads it.
        var lastTrunkUse = [Int](repeating: -1, count: shapes.count)
        var made = [Int](repeating: -1, count: shapes.count)
        for (s, step) in steps.enumerated() {
            guard case .node(let i) = step else { continue }
            made[nodes[i].output] = s
            guard nodes[i].branch == nil else { continue }
            for t in nodes[i].inputs { lastTrunkUse[t] = s }
        }
        lastTrunkUse[output] = steps.count
        let exitStep = self.exitStep
        self.liveAtExit = branches.indices.map { b in
            (0..<shapes.count).filter { t in
                (t == input || (made[t] >= 0 && made[t] < exitStep[b] && nodes[producer[t]!].branch == nil))
                    && lastTrunkUse[t] > exitStep[b]
            }
        }
    }
}
