internal import CNGHTTP2
import Dispatch

/// The C callbacks nghttp2 calls while receiving and sending. Each finds its ``NGHTTP2Session``
/// from `user_data` and its stream from the stream id.
extension NGHTTP2Session {
    static func install(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, frame.pointee.hd.type == NGHTTP2Frame.headers,
                frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
            else { return 0 }
            let session = NGHTTP2Session.owner(userData)
            session.streams[frame.pointee.hd.stream_id] = HTTP2Stream(
                HTTP2StreamState(
                    limits: .init(
                        maxBodyBytes: session.limits.maxBodyBytes, maxHeaderListBytes: session.limits.maxHeaderListBytes)))
            return 0
        }

        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, frame.pointee.hd.type == NGHTTP2Frame.headers else { return 0 }
            NGHTTP2Session.owner(userData).streams[frame.pointee.hd.stream_id]?.state.receiveHeader(
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength))
            return 0
        }

        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let type = frame.pointee.hd.type
            guard type == NGHTTP2Frame.headers || type == NGHTTP2Frame.data else { return 0 }
            let session = NGHTTP2Session.owner(userData)
            let streamID = frame.pointee.hd.stream_id
            let endStream = frame.pointee.hd.flags & NGHTTP2Frame.flagEndStream != 0
            let completion: HTTP2StreamState.Completion?
            if type == NGHTTP2Frame.headers {
                completion = session.streams[streamID]?.state.headerBlockComplete(
                    endStream: endStream, at: DispatchTime.now().uptimeNanoseconds)
            } else {
                completion = endStream ? session.streams[streamID]?.state.remoteEnded() : nil
            }
            switch completion {
            case .dispatch: session.appendEvent(.request(streamID: streamID))
            case .reject(let rejection): session.appendEvent(.reject(streamID: streamID, rejection))
            case .wait, .ignore, nil: break
            }
            return 0
        }

        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            let session = NGHTTP2Session.owner(userData)
            let action: HTTP2StreamState.DataAction?
            if session.streams[streamID]?.state.acceptsBody != true {
                action = .discarded
            } else if session.reservedBodyBytes + length > session.limits.maxConnectionBodyBytes,
                // What the streams hold is at most what is reserved: only near the limit are they added up.
                session.bufferedBodyBytes + length > session.limits.maxConnectionBodyBytes
            {
                action = session.streams[streamID]?.state.refuseBody(
                    .connectionBodiesTooLarge(limit: session.limits.maxConnectionBodyBytes))
            } else if !session.reserveBody(length) {
                action = session.streams[streamID]?.state.refuseBody(.serverBodiesTooLarge(limit: session.bodyBudget.limit))
            } else {
                action = session.streams[streamID]?.state.receivedData(UnsafeRawBufferPointer(start: data, count: length))
            }
            if case .reject(let rejection) = action {
                session.appendEvent(.reject(streamID: streamID, rejection))
            }
            return 0
        }

        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, _, userData in
            let session = NGHTTP2Session.owner(userData)
            if let stream = session.streams.removeValue(forKey: streamID)?.state, stream.isDispatched, !stream.hasResponse {
                session.appendEvent(.abandoned(streamID: streamID))
            }
            session.settleBodyBudget()
            return 0
        }

        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { nghttpSession, frame, userData in
            guard let frame, frame.pointee.hd.flags & NGHTTP2Frame.flagEndStream != 0 else { return 0 }
            let type = frame.pointee.hd.type
            guard type == NGHTTP2Frame.headers || type == NGHTTP2Frame.data else { return 0 }
            let streamID = frame.pointee.hd.stream_id
            // The bytes nghttp2 serialises go to the channel in the same output pass.
            NGHTTP2Session.owner(userData).streams[streamID]?.state.responseSent()
            // The response is complete but the request is not (rejected, or answered early):
            // tell the peer to stop sending, as RFC 9113 §8.1 allows.
            if nghttp2_session_get_stream_remote_close(nghttpSession, streamID) == 0 {
                _ = nghttp2_submit_rst_stream(
                    nghttpSession, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_NO_ERROR.rawValue)
            }
            return 0
        }

        nghttp2_session_callbacks_set_error_callback2(callbacks) { _, code, message, length, userData in
            let session = NGHTTP2Session.owner(userData)
            session.logger.debug(
                "HTTP/2 protocol error",
                metadata: [
                    "code": "\(code)",
                    "reason": "\(String(decoding: UnsafeRawBufferPointer(start: message, count: length), as: UTF8.self))",
                ])
            return 0
        }
    }

    /// nghttp2's data provider: copies the next slice of the stream's response body. After the
    /// last slice, a response with trailers keeps END_STREAM off the DATA frame and submits them
    /// (nghttp2 allows it from inside this callback); their HEADERS frame ends the stream.
    static let readResponseBody: nghttp2_data_source_read_callback = {
        _, streamID, destination, length, flags, _, userData in
        let session = NGHTTP2Session.owner(userData)
        let read = session.streams[streamID]?.state.readResponse(
            into: UnsafeMutableRawBufferPointer(start: destination, count: length))
        if let read, read.isEnd, let trailers = session.streams[streamID]?.state.takeTrailers() {
            flags!.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            session.submitTrailers(streamID: streamID, trailers: trailers)
        }
        return NGHTTP2SessionHandle.dataSourceResult(read, flags: flags)
    }
}
