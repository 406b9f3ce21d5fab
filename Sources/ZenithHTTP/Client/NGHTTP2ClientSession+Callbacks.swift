internal import CNGHTTP2

/// The C callbacks nghttp2 calls while receiving and sending. Each finds its
/// ``NGHTTP2ClientSession`` from `user_data` and its stream from the stream id.
extension NGHTTP2ClientSession {
    static func install(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, frame.pointee.hd.type == NGHTTP2Frame.headers else { return 0 }
            NGHTTP2ClientSession.owner(userData).receiveHeader(
                streamID: frame.pointee.hd.stream_id,
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength),
                isTrailer: frame.pointee.headers.cat == NGHTTP2_HCAT_HEADERS)
            return 0
        }

        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let session = NGHTTP2ClientSession.owner(userData)
            switch frame.pointee.hd.type {
            case NGHTTP2Frame.headers, NGHTTP2Frame.data:
                if frame.pointee.hd.flags & NGHTTP2Frame.flagEndStream != 0 {
                    session.remoteEnded(streamID: frame.pointee.hd.stream_id)
                }
            case NGHTTP2Frame.settings:
                if frame.pointee.hd.flags & NGHTTP2Frame.flagAck == 0 { session.settingsReceived = true }
            case NGHTTP2Frame.goAway:
                session.peerSentGoAway()
            default:
                break
            }
            return 0
        }

        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            NGHTTP2ClientSession.owner(userData).receiveData(
                streamID: streamID, UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }

        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            NGHTTP2ClientSession.owner(userData).streamClosed(streamID: streamID, errorCode: errorCode)
            return 0
        }
    }

    /// nghttp2's data provider: copies the next slice of the stream's request body.
    static let readRequestBody: nghttp2_data_source_read_callback = {
        _, streamID, destination, length, flags, _, userData in
        NGHTTP2SessionHandle.dataSourceResult(
            NGHTTP2ClientSession.owner(userData).readRequestBody(
                streamID: streamID, into: UnsafeMutableRawBufferPointer(start: destination, count: length)),
            flags: flags)
    }
}
