import Foundation
import Testing
import ZenithJSON
import ZenithLoad

@Suite struct ScenarioParsingTests {
    private func parse(_ text: String) throws -> Scenario {
        try Scenario(json: JSONValue(parsing: text))
    }

    private func error(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as ScenarioError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func everyCommittedScenarioParses() throws {
        let folder = "\(repositoryRoot)/LoadTests/Scenarios"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 5)
        for file in files {
            let scenario = try Scenario.load(path: "\(folder)/\(file)")
            #expect(scenario.name + ".json" == file)
        }
        // The baselines' scenarios (scripts/baselines.sh): a step and a daily shape per model.
        let baselines = "\(folder)/baselines"
        let models = try FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Models").filter {
            FileManager.default.fileExists(atPath: "\(repositoryRoot)/Models/\($0)/config.json")
        }
        for model in models {
            for shape in ["step", "daily"] {
                let scenario = try Scenario.load(path: "\(baselines)/\(shape)-\(model).json")
                #expect(scenario.model == model && scenario.name == "\(shape)-\(model)")
                guard case .step(let steps, _) = scenario.arrival else {
                    Issue.record("\(shape)-\(model): a step-shaped load")
                    continue
                }
                #expect(steps.count >= 3)
            }
        }
        let step = try Scenario.load(path: "\(folder)/step-cnn.json")
        #expect(step.actions.count == 1)
        #expect(step.classes[0].delivery == .modelDefault)
        let headline = try Scenario.load(path: "\(folder)/headline-cnn.json")
        #expect(headline.rate == .capacityMultiple(2))
        #expect(headline.durationSeconds == 60)
        #expect(headline.classes[0].accuracyTarget == 0.9117)
        let sweep = try Scenario.load(path: "\(folder)/sweep-cnn.json")
        #expect(sweep.sweep?.multiples == [0.25, 0.5, 1, 1.5, 2, 3])
        // Several images per request, so that the compute the controller trims outweighs the transport.
        for name in ["headline-cnn", "headline-mlp", "step-cnn", "two-class-cnn", "sweep-cnn", "sweep-mlp"] {
            #expect(try Scenario.load(path: "\(folder)/\(name).json").imagesPerRequest == 8, "\(name)")
        }
        let sweepMLP = try Scenario.load(path: "\(folder)/sweep-mlp.json")
        #expect(sweepMLP.model == "fashion-mlp")
        #expect(sweepMLP.classes[0].accuracyTarget == 0.8826)
    }

    @Test func imagesPerRequestIsAPositiveInteger() throws {
        let base = #""model": "m", "duration_s": 1, "rate": {"rps": 1}, "classes": [{"latency_target_ms": 10, "accuracy_target": 0.9}]"#
        #expect(try parse("{\(base), \"images_per_request\": 8}").imagesPerRequest == 8)
        #expect(try parse("{\(base), \"images_per_request\": 1}").imagesPerRequest == 1)
        for bad in ["0", "-2", "2.5"] {
            #expect(
                error("{\(base), \"images_per_request\": \(bad)}")
                    == "images_per_request must be an integer ≥ 1 (images in one request's input batch)", "\(bad)")
        }
        #expect(error("{\(base), \"images_per_request\": \"eight\"}") == "images_per_request must be a number")
        #expect(error("{\(base), \"image_per_request\": 8}") == "image_per_request is not a known field")
    }

    @Test func inputShapeAndDataAreOptional() throws {
        let base = #""model": "m", "duration_s": 1, "rate": {"rps": 1}, "classes": [{"latency_target_ms": 10, "accuracy_target": 0.9}]"#
        #expect(try parse("{\(base)}").inputShape == nil)
        #expect(try parse("{\(base), \"input_shape\": [3, 32, 32]}").inputShape == [3, 32, 32])
        #expect(try parse("{\(base), \"data\": \"/d/x.npz\"}").data == "/d/x.npz")
        #expect(try parse("{\(base), \"data\": \"x.npz\"}").data == "./x.npz")
        for bad in ["[]", "[0, 2]", "[1.5]", "\"784\"", "[-1]"] {
            #expect(
                error("{\(base), \"input_shape\": \(bad)}")
                    == "input_shape must be a non-empty array of positive integers (per-sample dims)", "\(bad)")
        }
    }

    @Test func aFullScenarioParses() throws {
        let scenario = try parse(
            """
            {"name": "x", "model": "fashion-mlp", "duration_s": 30, "seed": 9,
             "arrival": {"process": "burst", "period_s": 10, "burst_s": 2, "multiple": 3, "poisson": true},
             "rate": {"rps": 250}, "encoding": "json",
             "classes": [{"name": "gold", "share": 0.2, "latency_target_ms": 5, "accuracy_target": 0.9, "send": "class"},
                         {"name": "silver", "share": 0.8, "latency_target_ms": 20, "accuracy_target": 0.88, "send_class_name": true}],
             "actions": [{"at_s": 20, "action": "set-target", "latency_target_ms": 8, "class": "gold"},
                         {"at_s": 10, "accuracy_target": 0.89}]}
            """)
        #expect(scenario.model == "fashion-mlp")
        #expect(scenario.seed == 9)
        #expect(scenario.rate == .absolute(250))
        #expect(scenario.encoding == .json)
        #expect(scenario.arrival == .burst(periodSeconds: 10, burstSeconds: 2, multiple: 3, poisson: true))
        #expect(scenario.classes.map(\.delivery) == [.serverClass, .parameters])
        #expect(scenario.classes[1].sendClassName)
        // Sorted by time.
        #expect(scenario.actions.map(\.atSeconds) == [10, 20])
        // gold follows actions on "gold" only; silver sends its own targets and follows none.
        #expect(scenario.targets(of: scenario.classes[0], at: 25) == (8, 0.9))
        #expect(scenario.targets(of: scenario.classes[0], at: 15) == (5, 0.9))
        #expect(scenario.targets(of: scenario.classes[1], at: 25) == (20, 0.88))
    }

    @Test func defaultsAreFilledIn() throws {
        let scenario = try parse(
            #"{"model": "m", "duration_s": 1, "rate": {"capacity_multiple": 0.5}, "classes": [{"latency_target_ms": 10, "accuracy_target": 0.9}]}"#
        )
        #expect(scenario.arrival == .poisson)
        #expect(scenario.encoding == .binary)
        #expect(scenario.seed == 1)
        #expect(scenario.imagesPerRequest == 1)
        #expect(scenario.classes[0].share == 1)
        #expect(scenario.rate.needsCapacity)
        #expect(throws: ScenarioError.self) { try scenario.rate.requestsPerSecond(capacity: nil) }
        #expect(try scenario.rate.requestsPerSecond(capacity: 800) == 400)
    }

    @Test func errorsNameTheField() {
        let classes = #""classes": [{"latency_target_ms": 10, "accuracy_target": 0.9}]"#
        #expect(error(#"{"duration_s": 1, "rate": {"rps": 1}, \#(classes)}"#) == "model is required")
        #expect(error(#"{"model": "m", "duration_s": 1, "rate": {"rps": 1}, "rat": 3, \#(classes)}"#) == "rat is not a known field")
        #expect(error(#"{"model": "m", "duration_s": 1, \#(classes)}"#)?.hasPrefix("rate is required") == true)
        #expect(
            error(#"{"model": "m", "duration_s": 1, "rate": {"rps": 1, "capacity_multiple": 2}, \#(classes)}"#)
                == "rate needs exactly one of rps and capacity_multiple")
        #expect(error(#"{"model": "m", "duration_s": 1, "rate": {"rps": -1}, \#(classes)}"#) == "rate.rps must be a positive number")
        #expect(error(#"{"model": "m", "duration_s": "long", "rate": {"rps": 1}, \#(classes)}"#) == "duration_s must be a number")
        #expect(
            error(#"{"model": "m", "duration_s": 1, "rate": {"rps": 1}, "arrival": {"process": "fractal"}, \#(classes)}"#)?
                .hasPrefix("arrival.process must be") == true)
        #expect(
            error(#"{"model": "m", "duration_s": 1, "rate": {"rps": 1}, "arrival": {"process": "step", "steps": []}, \#(classes)}"#)?
                .hasPrefix("arrival.steps") == true)
        #expect(error(#"{"model": "m", "duration_s": 1, "rate": {"rps": 1}, "classes": []}"#) == "classes must be a non-empty array")
        #expect(
            error(#"{"model": "m", "duration_s": 1, "rate": {"rps": 1}, "classes": [{"latency_target_ms": 10, "accuracy_target": 1.5}]}"#)
                == "classes[0].accuracy_target must be in (0, 1]")
        #expect(
            error(#"{"model": "m", "duration_s": 1, "rate": {"rps": 1}, "classes": [{"latency_target_ms": 10, "accuracy_target": 0.9, "send": "smoke"}]}"#)?
                .hasPrefix("classes[0].send") == true)
        #expect(
            error(#"{"model": "m", "duration_s": 10, "rate": {"rps": 1}, \#(classes), "actions": [{"at_s": 20, "accuracy_target": 0.9}]}"#)?
                .hasPrefix("actions[0].at_s") == true)
        #expect(
            error(#"{"model": "m", "duration_s": 10, "rate": {"rps": 1}, \#(classes), "actions": [{"at_s": 2}]}"#)?
                .hasPrefix("actions[0] changes nothing") == true)
        #expect(
            error(#"{"model": "m", "duration_s": 10, "rate": {"rps": 1}, \#(classes), "actions": [{"at_s": 2, "action": "reboot"}]}"#)
                == "actions[0].action must be set-target, not 'reboot'")
        #expect(error(#"[1, 2]"#) == "scenario must be an object")
    }

    @Test func loadNamesTheFileAndReadsTracesBesideIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-load-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "0\n0.5\n1.25\n".write(toFile: "\(folder)/t.txt", atomically: true, encoding: .utf8)
        try #"{"model": "m", "arrival": {"process": "trace", "file": "t.txt"}, "classes": [{"latency_target_ms": 10, "accuracy_target": 0.9}]}"#
            .write(toFile: "\(folder)/replay.json", atomically: true, encoding: .utf8)
        let scenario = try Scenario.load(path: "\(folder)/replay.json")
        #expect(scenario.name == "replay")
        #expect(scenario.arrival == .trace(offsets: [0, 0.5, 1.25]))
        #expect(scenario.durationSeconds > 1.25)
        #expect(RequestSchedule(scenario: scenario, rate: 1, poolSize: 10).count == 3)

        // A load shape in a file: steps that scale with the rate.
        try "# t  multiple\n10, 2\n0 0.5\n\n".write(toFile: "\(folder)/shape.txt", atomically: true, encoding: .utf8)
        try #"{"model": "m", "duration_s": 20, "rate": {"rps": 10}, "arrival": {"process": "step", "steps_file": "shape.txt"}, "classes": [{"latency_target_ms": 10, "accuracy_target": 0.9}]}"#
            .write(toFile: "\(folder)/shaped.json", atomically: true, encoding: .utf8)
        #expect(
            try Scenario.load(path: "\(folder)/shaped.json").arrival
                == .step(steps: [.init(atSeconds: 0, multiple: 0.5), .init(atSeconds: 10, multiple: 2)], poisson: false))
        try "0 1\n5 lots\n".write(toFile: "\(folder)/shape.txt", atomically: true, encoding: .utf8)
        #expect {
            try Scenario.load(path: "\(folder)/shaped.json")
        } throws: { error in
            "\(error)".hasSuffix("shape.txt:2: '5 lots' is not 'AT_S MULTIPLE' (two numbers ≥ 0)")
        }

        try "{not json".write(toFile: "\(folder)/bad.json", atomically: true, encoding: .utf8)
        #expect(throws: ScenarioError.self) { try Scenario.load(path: "\(folder)/bad.json") }
        do {
            _ = try Scenario.load(path: "\(folder)/missing.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("missing.json"))
        }
    }
}
