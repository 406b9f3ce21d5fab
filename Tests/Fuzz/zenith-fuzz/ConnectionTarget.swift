import Foundation
import Logging
import NIOCore
import NIOEmbedded
import ZenithHTTP

/// The bytes a client sends on one connection, through the server's connection pipeline on an
/// in-memory channel: the protocol sniffer (HTTP/2 preface or not), then NIOHTTP1 and the
/// HTTP/1.1 connection handler (with h2c upgrade), or nghttp2 and the HTTP/2 handler.
///
/// Input: one byte giving the size of each read (1...256), then the client's bytes, delivered in
/// reads of that size so that prefaces and requests split across reads are covered. After the
/// last read the clock passes the request deadline, then the channel closes.
struct ConnectionTarget: FuzzTarget {
    static let name = "connection"

    /// Answers every request at once with a small body naming what it got.
    struct EchoHandler: HTTPHandler {
        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            HTTPResponse(
                status: request.path == "/teapot" ? 418 : 200, headers: ["content-type": "text/plain"],
                body: Array("\(request.method) \(request.path) \(request.body.count)".utf8),
                trailers: request.headers["te"] == "trailers" ? ["grpc-status": "0"] : nil)
        }
    }

    let configuration: HTTPServerConfiguration
    let logger = Logger(label: "zenith-fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    let verbose = ProcessInfo.processInfo.environment["ZENITH_FUZZ_VERBOSE"] == "1"

    init() {
        // Small limits, so that the paths that refuse an oversized request are reachable.
        configuration = HTTPServerConfiguration(
            maxBodyBytes: 4096, maxHeaderListBytes: 2048, maxConcurrentStreams: 4, maxPipelinedRequests: 4,
            requestTimeout: .seconds(30))
    }

    func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let readSize = Int(first) + 1
        let loop = EmbeddedEventLoop()
        let bodyBudget = RequestBodyBudget(limit: configuration.maxProcessBodyBytes)
        let channel = EmbeddedChannel(
            handler: HTTPServer.connectionHandler(
                configuration: configuration, handler: EchoHandler(), bodyBudget: bodyBudget,
                remoteAddress: "192.0.2.1:4000", eventLoop: loop, logger: logger),
            loop: loop)
        // An accepted socket is active before its first read; the handlers start from there.
        _ = try? channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 4000)).wait()
        var offset = 1
        while offset < input.count, channel.isActive {
            let end = min(offset + readSize, input.count)
            var buffer = channel.allocator.buffer(capacity: end - offset)
            buffer.writeBytes(input[offset..<end])
            do {
                try channel.writeInbound(buffer)
            } catch {
                break
            }
            loop.run()
            offset = end
            drain(channel)
        }
        loop.advanceTime(by: .seconds(31))
        drain(channel)
        _ = try? channel.finish(acceptAlreadyClosed: true)
        loop.run()
        // A closed connection holds no request body: whatever it reserved came back.
        precondition(
            bodyBudget.reservedBytes == 0, "a closed connection still holds \(bodyBudget.reservedBytes) body bytes")
    }

    /// Reads what the server wrote, as a client that reads everything would; prints it with
    /// `ZENITH_FUZZ_VERBOSE=1`, for looking into a finding.
    private func drain(_ channel: EmbeddedChannel) {
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
            if verbose { print("server wrote \(buffer.readableBytes) bytes: \(String(buffer: buffer).debugDescription)") }
        }
        while (try? channel.readInbound(as: ByteBuffer.self)) != nil {}
    }
}
