internal import CNGHTTP2
import NIOCore

/// Owns one `nghttp2_session`, server or client, and deletes it when dropped.
///
/// What the server's ``NGHTTP2Session`` and the client's ``NGHTTP2ClientSession`` do alike with
/// their session: create it with their callbacks, send the first SETTINGS, feed it input and
/// serialise its output. The ``NGHTTP2SessionOwner`` installs callbacks that find it from
/// `user_data` and binds itself with ``bind(to:)`` once initialised; the session holds it
/// unretained, so the owner must keep the handle, never outlive it.
struct NGHTTP2SessionHandle: ~Copyable {
    enum Kind {
        case server
        case client
    }

    enum OutputResult {
        /// nghttp2 has nothing more to send.
        case drained
        /// `maxBytes` reached; call again when the channel is writable.
        case more
        /// The session failed: close the connection.
        case failed(NGHTTP2Error)
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE: how much body (request body on a server, response body on a
    /// client) a stream may send ahead.
    static let streamWindowBytes = 1 << 20
    /// The connection-level receive window, unless the session asks for less.
    static let connectionWindowBytes = 16 << 20

    let pointer: OpaquePointer

    /// Creates the session and queues its SETTINGS frame: `settings`, then the stream window.
    ///
    /// - Parameters:
    ///   - kind: Whether the session serves or sends requests.
    ///   - settings: The SETTINGS entries sent ahead of SETTINGS_INITIAL_WINDOW_SIZE.
    ///   - connectionWindowBytes: The connection-level receive window.
    ///   - install: Sets the owner's callbacks on nghttp2's callback set.
    init(
        kind: Kind, settings: [nghttp2_settings_entry], connectionWindowBytes: Int = connectionWindowBytes,
        install: (OpaquePointer) -> Void
    ) throws(NGHTTP2Error) {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { throw .noMemory }
        defer { nghttp2_session_callbacks_del(callbacks) }
        install(callbacks)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { throw .noMemory }
        defer { nghttp2_option_del(option) }
        // No server push and no priority tree: keep no state for closed streams.
        nghttp2_option_set_no_closed_streams(option, 1)

        var session: OpaquePointer?
        let rv =
            switch kind {
            case .server: nghttp2_session_server_new2(&session, callbacks, nil, option)
            case .client: nghttp2_session_client_new2(&session, callbacks, nil, option)
            }
        guard rv == 0, let session else { throw NGHTTP2Error(code: Int(rv)) }

        var entries = settings
        entries.append(Self.setting(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, Self.streamWindowBytes))
        var result = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        if result == 0 {
            // A large connection window lets the bodies of many streams arrive without waiting on
            // WINDOW_UPDATE round trips; each stream's window (and, on a server, the body limit
            // and the connection's body budget) still caps what is kept.
            result = nghttp2_session_set_local_window_size(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(clamping: connectionWindowBytes))
        }
        guard result == 0 else {
            nghttp2_session_del(session)
            throw NGHTTP2Error(code: Int(result))
        }
        self.pointer = session
    }

    deinit {
        nghttp2_session_del(self.pointer)
    }

    /// One SETTINGS entry; values beyond `UInt32` are clamped.
    static func setting(_ id: nghttp2_settings_id, _ value: Int) -> nghttp2_settings_entry {
        nghttp2_settings_entry(settings_id: Int32(id.rawValue), value: UInt32(clamping: value))
    }

    /// Makes `owner` the `user_data` every callback receives. Call once the owner is initialised,
    /// before any input or output.
    func bind(to owner: some NGHTTP2SessionOwner) {
        nghttp2_session_set_user_data(self.pointer, Unmanaged.passUnretained(owner).toOpaque())
    }

    /// Feeds bytes read from the connection; the callbacks run before it returns. Returns the
    /// error when the session failed fatally (the connection must close after sending whatever is
    /// queued, GOAWAY included).
    func receive(_ buffer: ByteBuffer) -> NGHTTP2Error? {
        let result = buffer.withUnsafeReadableBytes { bytes -> Int in
            nghttp2_session_mem_recv(self.pointer, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        return result < 0 ? NGHTTP2Error(code: result) : nil
    }

    /// Serialises pending frames into `buffer`, up to about `maxBytes`.
    func produceOutput(into buffer: inout ByteBuffer, maxBytes: Int) -> OutputResult {
        var produced = 0
        while produced < maxBytes {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(self.pointer, &chunk)
            if count < 0 { return .failed(NGHTTP2Error(code: count)) }
            if count == 0 { return .drained }
            buffer.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
            produced += count
        }
        return .more
    }

    /// The session wants neither to read nor to write: it has ended (after GOAWAY both ways, or
    /// a connection error).
    var isFinished: Bool {
        nghttp2_session_want_read(self.pointer) == 0 && nghttp2_session_want_write(self.pointer) == 0
    }
}
