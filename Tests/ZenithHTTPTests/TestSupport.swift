import Foundation
import ZenithTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import ZenithHTTP

// MARK: - Handler and server

/// Echoes what it was asked, as text: `method=GET path=/x body=3 version=HTTP/2`.
/// `/delay?ms=N` answers after N milliseconds.
struct EchoHandler: HTTPHandler {
    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        if request.pathWithoutQuery == "/delay", let query = request.query,
            let ms = Int(query.split(separator: "=").last ?? "")
        {
            try? await Task.sleep(for: .milliseconds(ms))
        }
        let text = "method=\(request.method) path=\(request.path) body=\(request.body.count) version=\(request.version)"
        return HTTPResponse(status: 200, headers: ["content-type": "text/plain", "x-echo": "1"], body: Array(text.utf8))
    }
}

/// An ``EchoHandler`` that counts the requests it has started, and the most it has held at once,
/// so a test can wait until the server really holds them in flight, or see that it ran them
/// concurrently without timing anything. `/held` answers once ``release()`` has been called.
final class CountingEchoHandler: HTTPHandler {
    private let counts = NIOLockedValueBox((running: 0, mostRunning: 0))
    /// Requests the handler has started.
    let started = EventCount()
    private let gate = RequestGate()

    /// Lets every `/held` request, waiting or to come, answer.
    func release() { self.gate.release() }

    var mostRunning: Int { self.counts.withLockedValue { $0.mostRunning } }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        self.counts.withLockedValue {
            $0.running += 1
            $0.mostRunning = max($0.mostRunning, $0.running)
        }
        self.started.record()
        defer { self.counts.withLockedValue { $0.running -= 1 } }
        if request.pathWithoutQuery == "/held" { await self.gate.hold() }
        return await EchoHandler().handle(request)
    }

    /// Waits until `expected` requests have started.
    func waitUntilStarted(_ expected: Int) async throws {
        try await self.started.wait(for: expected, "requests started by the handler")
    }
}

let quietLogger = Logger(label: "zenith.http.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs an `HTTPServer` on an ephemeral loopback port for the duration of `body`, then shuts it
/// down gracefully and checks that `run()` returned.
func withServer(
    _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
    handler: some HTTPHandler = EchoHandler(),
    _ body: (_ port: Int, _ server: HTTPServer) async throws -> Void
) async throws {
    try await withLoopbackServer(configuration, handler: handler, body)
}

// MARK: - Raw TCP client

/// A TCP connection that records every byte it receives, for speaking HTTP by hand.
final class RawConnection: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        /// NIO's pthread mutex, not `Synchronization.Mutex`: the test polls it while the event loop
        /// appends, and ThreadSanitizer does not see `Mutex`'s contended hand-over (docs/SANITIZERS.md).
        let state = NIOLockedValueBox<(bytes: [UInt8], closed: Bool)>(([], false))

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = self.unwrapInboundIn(data)
            self.state.withLockedValue { $0.bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.state.withLockedValue { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Writes `opening` as soon as the connection is up, on its event loop: a test that races
    /// the server's idle timer must not lose the race to its own task waking late, as it can on
    /// a loaded machine under ThreadSanitizer. `send` then sends whatever follows.
    private final class Opening: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func channelActive(context: ChannelHandlerContext) {
            if !self.bytes.isEmpty {
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: self.bytes)), promise: nil)
            }
            context.fireChannelActive()
        }
    }

    static func connect(port: Int, opening: [UInt8] = []) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(Opening(opening), collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func send(_ text: String) async throws {
        try await self.send(Array(text.utf8))
    }

    static func connect(port: Int, opening: String) async throws -> RawConnection {
        try await self.connect(port: port, opening: Array(opening.utf8))
    }

    var received: [UInt8] { self.collector.state.withLockedValue { $0.bytes } }
    var isClosed: Bool { self.collector.state.withLockedValue { $0.closed } }

    /// Waits until `predicate` holds for the bytes received so far, or throws on timeout (by
    /// default only a broken test's).
    @discardableResult
    func read(
        timeout: Duration = EventCount.generousTimeout, until predicate: ([UInt8]) -> Bool
    ) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (bytes, closed) = self.collector.state.withLockedValue { ($0.bytes, $0.closed) }
            if predicate(bytes) { return bytes }
            if closed { throw TestFailure("connection closed before the expected bytes; got \(describe(bytes))") }
            if ContinuousClock.now > deadline {
                throw TestFailure("timed out waiting for bytes; got \(describe(bytes))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until the server closes the connection and returns everything received.
    @discardableResult
    func waitForClose(timeout: Duration = EventCount.generousTimeout) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while !self.isClosed {
            if ContinuousClock.now > deadline {
                throw TestFailure("timed out waiting for the server to close; got \(describe(self.received))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return self.received
    }

    func close() async {
        try? await self.channel.close()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func describe(_ bytes: [UInt8]) -> String {
    let text = String(decoding: bytes.prefix(600), as: UTF8.self)
    return "\(bytes.count) bytes: \(text.debugDescription)"
}

// MARK: - HTTP/1.1 responses

struct ParsedResponse {
    var status: Int
    var headers: [String: String]
    var body: String
}

/// Splits the complete responses (framed by content-length) off the front of `bytes`.
func parseHTTP1Responses(_ bytes: [UInt8]) -> [ParsedResponse] {
    var responses: [ParsedResponse] = []
    var rest = bytes[...]
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    while let headEnd = rest.firstRange(of: separator) {
        let head = String(decoding: rest[rest.startIndex..<headEnd.lowerBound], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { break }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headEnd.upperBound
        guard rest.endIndex - bodyStart >= length else { break }
        let body = String(decoding: rest[bodyStart..<(bodyStart + length)], as: UTF8.self)
        responses.append(ParsedResponse(status: status, headers: headers, body: body))
        rest = rest[(bodyStart + length)...]
    }
    return responses
}

/// `true` once `count` complete responses have arrived.
func hasResponses(_ count: Int) -> ([UInt8]) -> Bool {
    { parseHTTP1Responses($0).count >= count }
}

// MARK: - HTTP/2 frames by hand

enum H2 {
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    struct Frame {
        var type: UInt8
        var flags: UInt8
        var streamID: UInt32
        var payload: [UInt8]
    }

    static let data: UInt8 = 0x0, headers: UInt8 = 0x1, rstStream: UInt8 = 0x3, settings: UInt8 = 0x4
    static let goAway: UInt8 = 0x7
    static let endStream: UInt8 = 0x1, endHeaders: UInt8 = 0x4

    static func frame(type: UInt8, flags: UInt8 = 0, streamID: UInt32 = 0, payload: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = [
            UInt8((payload.count >> 16) & 0xFF), UInt8((payload.count >> 8) & 0xFF), UInt8(payload.count & 0xFF),
            type, flags,
            UInt8((streamID >> 24) & 0x7F), UInt8((streamID >> 16) & 0xFF), UInt8((streamID >> 8) & 0xFF),
            UInt8(streamID & 0xFF),
        ]
        bytes += payload
        return bytes
    }

    /// The client preface plus an empty SETTINGS frame.
    static var clientStart: [UInt8] { preface + frame(type: settings) }

    /// HPACK integer with an `prefixBits`-bit prefix, first byte OR-ed with `pattern`.
    static func integer(_ value: Int, prefixBits: Int, pattern: UInt8) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        if value < limit { return [pattern | UInt8(value)] }
        var bytes: [UInt8] = [pattern | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    static func string(_ text: String) -> [UInt8] {
        integer(text.utf8.count, prefixBits: 7, pattern: 0) + Array(text.utf8)
    }

    /// A request header block: static-table method and scheme, literal path, extra fields.
    static func requestBlock(method: String, path: String, extra: [(String, String)] = []) -> [UInt8] {
        var block: [UInt8] = []
        block += method == "POST" ? [0x83] : [0x82]  // :method POST / GET
        block += [0x86]  // :scheme http
        block += integer(4, prefixBits: 4, pattern: 0) + string(path)  // :path, literal without indexing
        block += integer(1, prefixBits: 4, pattern: 0) + string("localhost")  // :authority
        for (name, value) in extra {
            block += [0x00] + string(name) + string(value)
        }
        return block
    }

    /// Parses the complete frames in `bytes`, skipping nothing.
    static func frames(in bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var index = 0
        while bytes.count - index >= 9 {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            guard bytes.count - index - 9 >= length else { break }
            let streamID =
                UInt32(bytes[index + 5] & 0x7F) << 24 | UInt32(bytes[index + 6]) << 16
                | UInt32(bytes[index + 7]) << 8 | UInt32(bytes[index + 8])
            frames.append(
                Frame(
                    type: bytes[index + 3], flags: bytes[index + 4], streamID: streamID,
                    payload: Array(bytes[(index + 9)..<(index + 9 + length)])))
            index += 9 + length
        }
        return frames
    }

    static func errorCode(_ payload: ArraySlice<UInt8>) -> UInt32 {
        let bytes = Array(payload)
        return UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
    }

    /// The DATA payload received on `streamID`, as text.
    static func body(of streamID: UInt32, in frames: [Frame]) -> String {
        String(decoding: frames.filter { $0.type == data && $0.streamID == streamID }.flatMap(\.payload), as: UTF8.self)
    }

    /// Whether `streamID` has finished (END_STREAM from the server, or RST_STREAM).
    static func isFinished(_ streamID: UInt32, in frames: [Frame]) -> Bool {
        frames.contains {
            $0.streamID == streamID
                && ($0.type == rstStream || (($0.type == data || $0.type == headers) && $0.flags & endStream != 0))
        }
    }
}

// MARK: - External clients

/// Finds `name` on PATH or records a failure telling how to install it.
func requireExecutable(_ name: String, package: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    guard let path = executable(name) else {
        Issue.record(
            "\(name) not found on PATH: install Debian's \(package) (scripts/setup.sh does)",
            sourceLocation: sourceLocation)
        return nil
    }
    return path
}

/// Writes `count` bytes to a temporary file for `nghttp -d` / `curl --data-binary`.
func temporaryFile(bytes count: Int) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-http-\(UUID().uuidString).bin")
    try Data(repeating: UInt8(ascii: "z"), count: count).write(to: url)
    return url
}
