import Foundation
import ZenithExecutor

/// What a measurement ran on, recorded beside every latency figure.
public struct MachineInfo: Sendable {
    public var cpuModel: String
    public var cores: Int
    public var blas: String

    public static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return MachineInfo(cpuModel: model, cores: AvailableCores.count, blas: BLAS.configuration)
    }
}
