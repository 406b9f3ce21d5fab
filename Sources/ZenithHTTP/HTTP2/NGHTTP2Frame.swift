internal import CNGHTTP2

/// Frame types and flags as nghttp2's callbacks find them in a frame's `hd`.
enum NGHTTP2Frame {
    static let data = UInt8(NGHTTP2_DATA.rawValue)
    static let headers = UInt8(NGHTTP2_HEADERS.rawValue)
    static let settings = UInt8(NGHTTP2_SETTINGS.rawValue)
    static let goAway = UInt8(NGHTTP2_GOAWAY.rawValue)

    static let flagEndStream = UInt8(NGHTTP2_FLAG_END_STREAM.rawValue)
    static let flagAck = UInt8(NGHTTP2_FLAG_ACK.rawValue)
}
