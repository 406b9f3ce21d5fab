import ArgumentParser
import Foundation
import ZenithServer

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test and validation accuracy, batch-1 latency and cost of every plan, on real labelled images.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Run only these plans (comma-separated names).")
    var plans: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let model = try options.loadModel()
        let data = try EvaluationData.load(for: model, data: options.data, directory: options.dataset)
        let selected = plans.map { $0.split(separator: ",").map(String.init) }
        if let selected, let unknown = selected.first(where: { model.planIndex(named: $0) == nil }) {
            throw ValidationError("model '\(model.name)' has no plan '\(unknown)'; it has \(model.planNames.joined(separator: ", "))")
        }
        let results = try Evaluation.run(
            model: model, test: data.test, validation: data.validation, plans: selected, progress: Progress.line)
        let machine = MachineInfo.current()
        if json {
            let report = Evaluation.report(model: model, data: data, results: results, machine: machine)
            print(report.serialized(pretty: true))
            return
        }
        print("\(model.name) on \(machine.cpuModel), \(data.test.count) test / \(data.validation.count) validation images")
        print(pad("plan", 22) + pad("test", 8) + pad("val", 8) + pad("p50 us", 9) + pad("p99 us", 9) + pad("mean us", 9) + pad("flops", 7) + "exit")
        for r in results {
            print(pad(r.plan, 22) + pad(fmt(r.testAccuracy, 4), 8) + pad(fmt(r.validationAccuracy, 4), 8)
                + pad(fmt(r.latency.p50, 1), 9) + pad(fmt(r.latency.p99, 1), 9) + pad(fmt(r.latency.mean, 1), 9)
                + pad(fmt(r.flopsFraction, 3), 7) + fmt(r.exitRate, 3))
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func fmt(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
