import Foundation
public import ZenithJSON

extension Scenario {
    /// Reads a scenario file; a trace file it names is read relative to the scenario's folder.
    ///
    /// - Parameter path: the JSON file.
    /// - Throws: `ScenarioError` naming the file and the faulty field.
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError("\(path): cannot read the file")
        }
        let folder = (path as NSString).deletingLastPathComponent
        do {
            let json = try JSONValue(parsing: [UInt8](data))
            return try Scenario(json: json, defaultName: ((path as NSString).lastPathComponent as NSString).deletingPathExtension, baseDirectory: folder)
        } catch let error as ScenarioError {
            throw ScenarioError("\(path): \(error.message)")
        } catch {
            throw ScenarioError("\(path): invalid JSON: \(error)")
        }
    }

    /// Builds a scenario from its JSON form.
    ///
    /// - Parameters:
    ///   - json: the scenario object.
    ///   - defaultName: the name when the object has none (the file name).
    ///   - baseDirectory: where relative trace paths start.
    /// - Throws: `ScenarioError` for unknown fields, wrong types and impossible values.
    public init(json: JSONValue, defaultName: String = "scenario", baseDirectory: String = ".") throws(ScenarioError) {
        let root = try Fields(json, at: "scenario")
        try root.allow(["name", "description", "model", "duration_s", "seed", "arrival", "rate", "classes",
                        "encoding", "images_per_request", "actions", "sweep", "input_shape", "data", "interference"])
        let name = try root.string("name") ?? defaultName
        guard let model = try root.string("model"), !model.isEmpty else { throw ScenarioError("model is required") }
        let seed = try root.number("seed").map { value throws(ScenarioError) -> UInt64 in
            guard value >= 0, value == value.rounded(), value < 1e18 else {
                throw ScenarioError("seed must be a non-negative integer")
            }
            return UInt64(value)
        } ?? 1

        let arrival = try Self.parseArrival(root.value("arrival"), baseDirectory: baseDirectory)
        let rate = try Self.parseRate(root.value("rate"), required: !(arrival.name == "trace"))
        let sweep = try root.value("sweep").map { value throws(ScenarioError) in try Self.parseSweep(value) }
        var duration = try root.number("duration_s")
        if duration == nil, case .trace(let offsets) = arrival { duration = (offsets.last ?? 0) + 0.001 }
        if duration == nil, let sweep { duration = sweep.pointSeconds }
        guard let duration, duration > 0, duration.isFinite else { throw ScenarioError("duration_s must be a positive number") }

        let classes = try Self.parseClasses(root.value("classes"))
        let encoding: PayloadEncoding
        if let text = try root.string("encoding") {
            guard let parsed = PayloadEncoding(rawValue: text) else {
                throw ScenarioError("encoding must be json, binary or grpc, not '\(text)'")
            }
            encoding = parsed
        } else {
            encoding = .binary
        }
        let imagesPerRequest = try root.number("images_per_request").map { value throws(ScenarioError) -> Int in
            try Self.validImagesPerRequest(value)
        } ?? 1
        var inputShape: [Int]?
        if let shape = try root.value("input_shape") {
            guard let items = shape.arrayValue, !items.isEmpty,
                let dims = Optional(items.compactMap { $0.doubleValue }), dims.count == items.count,
                dims.allSatisfy({ $0 >= 1 && $0 == $0.rounded() && $0 <= 1_000_000 })
            else { throw ScenarioError("input_shape must be a non-empty array of positive integers (per-sample dims)") }
            inputShape = dims.map { Int($0) }
        }
        let data = try root.string("data").map { path in path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)" }
        var actions: [OperatorAction] = []
        if let list = try root.value("actions") {
            guard let items = list.arrayValue else { throw ScenarioError("actions must be an array") }
            for (index, item) in items.enumerated() {
                actions.append(try Self.parseAction(item, at: "actions[\(index)]", duration: duration))
            }
        }
        var interference: [Interference] = []
        if let list = try root.value("interference") {
            guard let items = list.arrayValue else { throw ScenarioError("interference must be an array") }
            for (index, item) in items.enumerated() {
                interference.append(try Self.parseInterference(item, at: "interference[\(index)]", duration: duration))
            }
        }
        self.init(
            name: name, model: model, durationSeconds: duration, seed: seed, arrival: arrival,
            rate: rate ?? .absolute(1), classes: classes, encoding: encoding, imagesPerRequest: imagesPerRequest,
            actions: actions, sweep: sweep, inputShape: inputShape, data: data, interference: interference)
    }

    /// `images_per_request` as an integer ≥ 1 (the server further caps it at the model's
    /// `max_batch_size` and answers 400 above it).
    ///
    /// - Throws: `ScenarioError` for fractions, zero, negatives and absurd sizes.
    public static func validImagesPerRequest(_ value: Double) throws(ScenarioError) -> Int {
        guard value >= 1, value == value.rounded(), value <= 1_000_000 else {
            throw ScenarioError("images_per_request must be an integer ≥ 1 (images in one request's input batch)")
        }
        return Int(value)
    }

    private static func parseRate(_ value: JSONValue?, required: Bool) throws(ScenarioError) -> RateSpec? {
        guard let value else {
            if required { throw ScenarioError("rate is required (e.g. {\"rps\": 200} or {\"capacity_multiple\": 2})") }
            return nil
        }
        let fields = try Fields(value, at: "rate")
        try fields.allow(["rps", "capacity_multiple"])
        switch (try fields.number("rps"), try fields.number("capacity_multiple")) {
        case (let rps?, nil):
            guard rps > 0, rps.isFinite else { throw ScenarioError("rate.rps must be a positive number") }
            return .absolute(rps)
        case (nil, let multiple?):
            guard multiple > 0, multiple.isFinite else {
                throw ScenarioError("rate.capacity_multiple must be a positive number")
            }
            return .capacityMultiple(multiple)
        default:
            throw ScenarioError("rate needs exactly one of rps and capacity_multiple")
        }
    }

    private static func parseArrival(_ value: JSONValue?, baseDirectory: String) throws(ScenarioError) -> ArrivalProcess {
        guard let value else { return .poisson }
        let fields = try Fields(value, at: "arrival")
        let process = try fields.string("process") ?? "poisson"
        let poisson = try fields.bool("poisson") ?? false
        switch process {
        case "constant":
            try fields.allow(["process"])
            return .constant
        case "poisson":
            try fields.allow(["process"])
            return .poisson
        case "step":
            try fields.allow(["process", "steps", "steps_file", "poisson"])
            if let file = try fields.string("steps_file") {
                guard try fields.value("steps") == nil else { throw ScenarioError("arrival: give steps or steps_file, not both") }
                let path = file.hasPrefix("/") ? file : "\(baseDirectory)/\(file)"
                return .step(steps: try RateStepsFile.load(path: path), poisson: poisson)
            }
            guard let items = try fields.value("steps")?.arrayValue, !items.isEmpty else {
                throw ScenarioError("arrival.steps must be a non-empty array of {at_s, multiple} (or steps_file names a file of them)")
            }
            var steps: [ArrivalProcess.RateStep] = []
            for (index, item) in items.enumerated() {
                let step = try Fields(item, at: "arrival.steps[\(index)]")
                try step.allow(["at_s", "multiple"])
                guard let at = try step.number("at_s"), at >= 0, at.isFinite else {
                    throw ScenarioError("arrival.steps[\(index)].at_s must be a number ≥ 0")
                }
                guard let multiple = try step.number("multiple"), multiple >= 0, multiple.isFinite else {
                    throw ScenarioError("arrival.steps[\(index)].multiple must be a number ≥ 0")
                }
                steps.append(.init(atSeconds: at, multiple: multiple))
            }
            return .step(steps: steps.sorted { $0.atSeconds < $1.atSeconds }, poisson: poisson)
        case "burst":
            try fields.allow(["process", "period_s", "burst_s", "multiple", "poisson"])
            guard let period = try fields.number("period_s"), period > 0, period.isFinite else {
                throw ScenarioError("arrival.period_s must be a positive number")
            }
            guard let burst = try fields.number("burst_s"), burst > 0, burst <= period else {
                throw ScenarioError("arrival.burst_s must be positive and at most period_s")
            }
            guard let multiple = try fields.number("multiple"), multiple > 0, multiple.isFinite else {
                throw ScenarioError("arrival.multiple must be a positive number")
            }
            return .burst(periodSeconds: period, burstSeconds: burst, multiple: multiple, poisson: poisson)
        case "trace":
            try fields.allow(["process", "file"])
            guard let file = try fields.string("file") else { throw ScenarioError("arrival.file is required for a trace") }
            let path = file.hasPrefix("/") ? file : "\(baseDirectory)/\(file)"
            return .trace(offsets: try TraceFile.load(path: path))
        default:
            throw ScenarioError("arrival.process must be constant, poisson, step, burst or trace, not '\(process)'")
        }
    }

    private static func parseClasses(_ value: JSONValue?) throws(ScenarioError) -> [SLOClass] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw ScenarioError("classes must be a non-empty array")
        }
        var classes: [SLOClass] = []
        for (index, item) in items.enumerated() {
            let at = "classes[\(index)]"
            let fields = try Fields(item, at: at)
            try fields.allow(["name", "share", "latency_target_ms", "accuracy_target", "send", "send_class_name"])
            let name = try fields.string("name") ?? "class\(index)"
            guard !name.isEmpty else { throw ScenarioError("\(at).name must not be empty") }
            let share = try fields.number("share") ?? 1
            guard share > 0, share.isFinite else { throw ScenarioError("\(at).share must be a positive number") }
            guard let latency = try fields.number("latency_target_ms"), latency > 0, latency.isFinite else {
                throw ScenarioError("\(at).latency_target_ms must be a positive number")
            }
            guard let accuracy = try fields.number("accuracy_target"), accuracy > 0, accuracy <= 1 else {
                throw ScenarioError("\(at).accuracy_target must be in (0, 1]")
            }
            var delivery = SLOClass.Delivery.parameters
            if let send = try fields.string("send") {
                guard let parsed = SLOClass.Delivery(rawValue: send) else {
                    throw ScenarioError("\(at).send must be parameters, class or default, not '\(send)'")
                }
                delivery = parsed
            }
            guard !classes.contains(where: { $0.name == name }) else {
                throw ScenarioError("\(at).name '\(name)' is used twice")
            }
            classes.append(
                SLOClass(
                    name: name, share: share, latencyTargetMs: latency, accuracyTarget: accuracy, delivery: delivery,
                    sendClassName: try fields.bool("send_class_name") ?? false))
        }
        return classes
    }

    private static func parseAction(_ value: JSONValue, at: String, duration: Double) throws(ScenarioError) -> OperatorAction {
        let fields = try Fields(value, at: at)
        try fields.allow(["at_s", "action", "latency_target_ms", "accuracy_target", "class", "infeasible_policy"])
        let kind = try fields.string("action") ?? "set-target"
        guard kind == "set-target" else { throw ScenarioError("\(at).action must be set-target, not '\(kind)'") }
        guard let time = try fields.number("at_s"), time >= 0, time <= duration else {
            throw ScenarioError("\(at).at_s must be a number within the run (0...duration_s)")
        }
        let latency = try fields.number("latency_target_ms")
        if let latency, !(latency > 0 && latency.isFinite) {
            throw ScenarioError("\(at).latency_target_ms must be a positive number")
        }
        let accuracy = try fields.number("accuracy_target")
        if let accuracy, !(accuracy > 0 && accuracy <= 1) { throw ScenarioError("\(at).accuracy_target must be in (0, 1]") }
        let policy = try fields.string("infeasible_policy")
        if let policy, policy != "reject", policy != "best_effort" {
            throw ScenarioError("\(at).infeasible_policy must be reject or best_effort")
        }
        guard latency != nil || accuracy != nil || policy != nil else {
            throw ScenarioError("\(at) changes nothing: give latency_target_ms, accuracy_target or infeasible_policy")
        }
        return OperatorAction(
            atSeconds: time, latencyTargetMs: latency, accuracyTarget: accuracy, sloClass: try fields.string("class"),
            infeasiblePolicy: policy)
    }

    private static func parseInterference(
        _ value: JSONValue, at: String, duration: Double
    ) throws(ScenarioError) -> Interference {
        let fields = try Fields(value, at: at)
        try fields.allow(["from_s", "until_s", "workers"])
        guard let from = try fields.number("from_s"), from >= 0, from < duration else {
            throw ScenarioError("\(at).from_s must be a number of seconds within the run (0 ≤ from_s < duration_s)")
        }
        guard let until = try fields.number("until_s"), until > from, until.isFinite else {
            throw ScenarioError("\(at).until_s must be a number of seconds after from_s")
        }
        let workers = try fields.number("workers") ?? 1
        guard workers >= 1, workers <= 64, workers == workers.rounded() else {
            throw ScenarioError("\(at).workers must be an integer from 1 to 64")
        }
        return Interference(fromSeconds: from, untilSeconds: until, workers: Int(workers))
    }

    private static func parseSweep(_ value: JSONValue) throws(ScenarioError) -> SweepSpec {
        let fields = try Fields(value, at: "sweep")
        try fields.allow(["multiples", "point_duration_s"])
        var multiples = SweepSpec.defaultMultiples
        if let items = try fields.value("multiples") {
            guard let values = items.arrayValue?.compactMap(\.doubleValue), values.count == items.arrayValue?.count,
                !values.isEmpty, values.allSatisfy({ $0 > 0 && $0.isFinite })
            else { throw ScenarioError("sweep.multiples must be a non-empty array of positive numbers") }
            multiples = values
        }
        let seconds = try fields.number("point_duration_s") ?? 10
        guard seconds > 0, seconds.isFinite else { throw ScenarioError("sweep.point_duration_s must be a positive number") }
        return SweepSpec(multiples: multiples, pointSeconds: seconds)
    }
}

/// Typed access to one JSON object's fields, with errors that name the field.
private struct Fields {
    let object: JSONObject
    let path: String

    init(_ value: JSONValue, at path: String) throws(ScenarioError) {
        guard let object = value.objectValue else { throw ScenarioError("\(path) must be an object") }
        self.object = object
        self.path = path
    }

    /// Unknown fields are errors: a misspelt field would otherwise silently keep its default.
    func allow(_ keys: Set<String>) throws(ScenarioError) {
        if let unknown = object.keys.first(where: { !keys.contains($0) }) {
            throw ScenarioError("\(prefix)\(unknown) is not a known field")
        }
    }

    func value(_ key: String) throws(ScenarioError) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    func number(_ key: String) throws(ScenarioError) -> Double? {
        guard let value = try value(key) else { return nil }
        guard let number = value.doubleValue else { throw ScenarioError("\(prefix)\(key) must be a number") }
        return number
    }

    func string(_ key: String) throws(ScenarioError) -> String? {
        guard let value = try value(key) else { return nil }
        guard let text = value.stringValue else { throw ScenarioError("\(prefix)\(key) must be a string") }
        return text
    }

    func bool(_ key: String) throws(ScenarioError) -> Bool? {
        guard let value = try value(key) else { return nil }
        guard let flag = value.boolValue else { throw ScenarioError("\(prefix)\(key) must be true or false") }
        return flag
    }

    private var prefix: String { path == "scenario" ? "" : "\(path)." }
}
