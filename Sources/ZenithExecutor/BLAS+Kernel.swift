import Foundation

extension BLAS {
    /// The OpenBLAS kernel family this CPU should use, from its feature flags.
    static func preferredCoreType(cpuFlags: Set<Substring>) -> String? {
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The OpenBLAS that Debian 12 ships (0.3.21) does not recognise recent Xeon models and falls
    /// back to its SSE3 "Prescott" kernels, 3-5x slower than the AVX-512 ones on the same CPU.
    /// It reads `OPENBLAS_CORETYPE` only when it loads, so the fix is to restart the process once
    /// with it set. Call this first thing in `main`; it returns when nothing needs changing.
    public static func restartWithBetterKernelIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { return }
        let core = String(cString: openblasCoreName())
        guard core == "Prescott" || core == "Core2" || core == "Nehalem" else { return }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        guard let better = preferredCoreType(cpuFlags: Set(flags)) else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with the slower kernels.
    }
}
