import Foundation
import Testing
@testable import ZenithExecutor

/// Slots are shared only by tensors that are never alive together, on every graph we ship.
@Suite struct MemoryPlanTests {
    static let folders = GoldenTests.models.map { "\(GoldenTests.repository)/\($0)" }
        + GoldenTests.fixtures.map { "\(GoldenTests.fixtureDirectory)/\($0)" }

    @Test(arguments: folders) func liveTensorsNeverShareASlot(folder: String) throws {
        let model = try Model(directory: folder)
        let (graph, plan) = (model.graph, model.memory)
        // A tensor is alive from the step that writes it to the last step that reads it, and the
        // trunk tensors a branch's exit check compacts stay alive through that check.
        var written = [Int](repeating: Int.max, count: graph.shapes.count)
        var lastRead = [Int](repeating: -1, count: graph.shapes.count)
        written[graph.input] = -1
        for (s, step) in graph.steps.enumerated() {
            switch step {
            case .node(let i):
                written[graph.nodes[i].output] = s
                for t in graph.nodes[i].inputs { lastRead[t] = max(lastRead[t], s) }
            case .exitCheck(let b):
                lastRead[graph.branches[b].output] = max(lastRead[graph.branches[b].output], s)
                for t in graph.liveAtExit[b] { lastRead[t] = max(lastRead[t], s) }
            }
        }
        lastRead[graph.output] = graph.steps.count
        for a in graph.shapes.indices {
            #expect(plan.floatsPerSample[plan.slot[a]] >= graph.shapes[a].elementCount, "\(graph.tensorNames[a]) fits its slot")
            for b in graph.shapes.indices where b > a && plan.slot[a] == plan.slot[b] {
                // One must be read for the last time strictly before the other is written: a node
                // never writes its output over an input it reads.
                let apart = lastRead[a] < written[b] || lastRead[b] < written[a]
                #expect(apart, "\(graph.tensorNames[a]) and \(graph.tensorNames[b]) share slot \(plan.slot[a]) while both alive")
            }
        }
        // Sharing happens at all on a deep graph: fewer slots than tensors.
        if graph.nodes.count > 20 { #expect(Set(plan.slot).count < graph.shapes.count / 2) }
    }
}
