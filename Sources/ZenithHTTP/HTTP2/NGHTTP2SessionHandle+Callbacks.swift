internal import CNGHTTP2

/// What the data source callbacks of both sessions do alike.
extension NGHTTP2SessionHandle {
    /// What a data source read callback returns for `read`, the slice of body it copied: the byte
    /// count, with EOF flagged once the body is done, or a temporal failure (which resets the
    /// stream) when the stream had no body to read from.
    @inline(__always)
    static func dataSourceResult(_ read: (count: Int, isEnd: Bool)?, flags: UnsafeMutablePointer<UInt32>?) -> Int {
        guard let (count, isEnd) = read else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        if isEnd {
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        }
        return count
    }
}
