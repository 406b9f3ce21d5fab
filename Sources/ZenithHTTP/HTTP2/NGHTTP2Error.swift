internal import CNGHTTP2

/// A libnghttp2 error code (one of the negative `NGHTTP2_ERR_*` values).
struct NGHTTP2Error: Error {
    var code: Int

    /// nghttp2's description of the code.
    var message: String {
        String(cString: nghttp2_strerror(Int32(truncatingIfNeeded: self.code)))
    }

    static let noMemory = NGHTTP2Error(code: Int(NGHTTP2_ERR_NOMEM.rawValue))
}
