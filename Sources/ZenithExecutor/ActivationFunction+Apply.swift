import Foundation
import ZenithCore

extension ActivationFunction {
    /// Applies the function in place to `count` floats; the switch is outside the loop so each
    /// case vectorises.
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for i in 0..<count { values[i] = max(values[i], 0) }
        case .relu6:
            for i in 0..<count { values[i] = min(max(values[i], 0), 6) }
        case .hardsigmoid:
            for i in 0..<count { values[i] = min(max(values[i] / 6 + 0.5, 0), 1) }
        case .hardswish:
            for i in 0..<count {
                let x = values[i]
                values[i] = x * min(max(x / 6 + 0.5, 0), 1)
            }
        case .sigmoid:
            for i in 0..<count { values[i] = 1 / (1 + expf(-values[i])) }
        }
    }
}

extension Optional where Wrapped == ActivationFunction {
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        if let f = self { f.apply(values, count: count) }
    }
}
