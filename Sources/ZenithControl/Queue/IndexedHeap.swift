/// A binary min-heap whose elements are named by an id, so any element can be removed in O(log n).
struct IndexedHeap<Key: Comparable & Sendable>: Sendable {
    typealias ID = RequestID

    struct Node: Sendable {
        var id: ID
        var key: Key
    }

    private var nodes: [Node] = []
    /// Where each id sits in `nodes`; kept in step with every swap.
    private var positions = IDTable<Int>()

    var count: Int { nodes.count }
    var isEmpty: Bool { nodes.isEmpty }
    var min: Node? { nodes.first }

    func contains(_ id: ID) -> Bool { positions[id] != nil }

    /// Adds `id`; returns `false` if it is already present.
    @discardableResult
    mutating func insert(_ id: ID, key: Key) -> Bool {
        guard positions[id] == nil else { return false }
        nodes.append(Node(id: id, key: key))
        positions[id] = nodes.count - 1
        siftUp(nodes.count - 1)
        return true
    }

    mutating func popMin() -> Node? {
        guard let first = nodes.first else { return nil }
        remove(at: 0)
        return first
    }

    @discardableResult
    mutating func remove(_ id: ID) -> Node? {
        guard let index = positions[id] else { return nil }
        let node = nodes[index]
        remove(at: index)
        return node
    }

    /// Visits nodes in ascending key order until `body` returns `false`; O(k log k) for k visited.
    ///
    /// Walks the heap with a frontier, itself a small binary heap of indices into `nodes` (a node's
    /// children are never smaller than it), so the heap itself is not touched.
    func forEachInOrder(_ body: (Node) -> Bool) {
        guard !nodes.isEmpty else { return }
        var frontier = [0]
        while let index = frontier.first {
            guard body(nodes[index]) else { return }
            // Replace the visited root by its first child (or the frontier's last entry), sift it
            // down, then push the second child.
            let left = 2 * index + 1
            if left < nodes.count {
                frontier[0] = left
            } else {
                frontier[0] = frontier[frontier.count - 1]
                frontier.removeLast()
            }
            if !frontier.isEmpty { siftDownFrontier(&frontier) }
            if left + 1 < nodes.count { pushFrontier(left + 1, &frontier) }
        }
    }

    private func siftDownFrontier(_ frontier: inout [Int]) {
        var parent = 0
        while true {
            let left = 2 * parent + 1
            var smallest = parent
            if left < frontier.count, nodes[frontier[left]].key < nodes[frontier[smallest]].key { smallest = left }
            if left + 1 < frontier.count, nodes[frontier[left + 1]].key < nodes[frontier[smallest]].key { smallest = left + 1 }
            guard smallest != parent else { return }
            frontier.swapAt(parent, smallest)
            parent = smallest
        }
    }

    private func pushFrontier(_ index: Int, _ frontier: inout [Int]) {
        frontier.append(index)
        var child = frontier.count - 1
        while child > 0, nodes[frontier[child]].key < nodes[frontier[(child - 1) / 2]].key {
            frontier.swapAt(child, (child - 1) / 2)
            child = (child - 1) / 2
        }
    }

    private mutating func remove(at index: Int) {
        positions[nodes[index].id] = nil
        let last = nodes.removeLast()
        guard index < nodes.count else { return }
        nodes[index] = last
        positions[last.id] = index
        siftDown(index)
        siftUp(index)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard nodes[child].key < nodes[parent].key else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            var smallest = parent
            if left < nodes.count, nodes[left].key < nodes[smallest].key { smallest = left }
            if left + 1 < nodes.count, nodes[left + 1].key < nodes[smallest].key { smallest = left + 1 }
            guard smallest != parent else { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        nodes.swapAt(a, b)
        positions[nodes[a].id] = a
        positions[nodes[b].id] = b
    }
}
