internal import CBLAS

/// OpenBLAS, as the executor uses it: row-major single-precision GEMM, GEMV and AXPY.
public enum BLAS {
    /// Sets OpenBLAS's worker threads for the whole process. Zenith sets it explicitly so that
    /// executor workers × BLAS threads never exceeds the cores.
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS's build and the kernel it chose for this CPU, for reports.
    public static var configuration: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
        return "\(config) (\(core))"
    }

    static func openblasCoreName() -> UnsafePointer<CChar> {
        UnsafePointer(openblas_get_corename()!)
    }

    /// `c = op(a) * op(b) + beta * c`, row-major; `op(a)` is `m x k`, `op(b)` is `k x n`.
    static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = op(a) * x + beta * y`, row-major; `a` is `m x n` as stored.
    static func gemv(
        trans: Bool = false, m: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incx: Int = 1, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int = 1
    ) {
        cblas_sgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), 1, a, Int32(lda),
            x, Int32(incx), beta, y, Int32(incy))
    }

    /// `y += alpha * x` over `n` elements.
    static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }
}
