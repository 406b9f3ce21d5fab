import ZenithCore
import ZenithJSON

extension StoredTargets {
    /// `{"default": {...}, "classes": {"gold": {...}}, "infeasible_policy": "reject"}`.
    var json: JSONValue {
        var object = JSONObject()
        if let defaults { object["default"] = defaults.operatorJSON }
        if let classes {
            object["classes"] = .object(
                JSONObject(classes.sorted { $0.key < $1.key }.map { ($0.key, $0.value.operatorJSON) }))
        }
        if let infeasiblePolicy { object["infeasible_policy"] = .string(infeasiblePolicy.rawValue) }
        return .object(object)
    }

    /// Reads one model's entry of the state file; `path` names it in errors.
    init(json value: JSONValue, path: String) throws(JSONFieldError) {
        let object = try StrictJSONObject(value, path: path, allowed: ["default", "classes", "infeasible_policy"])
        var classes: [String: SLOTargets]?
        if let map = try object.object("classes", allowed: nil) {
            var read: [String: SLOTargets] = [:]
            for (name, targets) in map.members {
                guard !name.isEmpty else { throw JSONFieldError("\(map.path) has a class with an empty name") }
                read[name] = try SLOTargets(operatorJSON: targets, path: map.path(of: name))
            }
            classes = read
        }
        self.init(
            defaults: try object.object("default", allowed: SLOTargets.operatorFields).map {
                o throws(JSONFieldError) in try SLOTargets(operatorJSON: .object(o.object), path: o.path)
            },
            classes: classes,
            infeasiblePolicy: try object.string("infeasible_policy").map { raw throws(JSONFieldError) in
                try InfeasiblePolicy(operatorName: raw, path: object.path(of: "infeasible_policy"))
            })
    }
}
