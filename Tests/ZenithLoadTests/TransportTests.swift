import Foundation
import NIOConcurrencyHelpers
import Synchronization
import Testing
import ZenithHTTP
import ZenithLoad
import ZenithTestSupport

/// Answers after a short pause, so that requests pile up on the connection.
private struct SlowHandler: HTTPHandler {
    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        try? await Task.sleep(for: .milliseconds(5))
        return HTTPResponse(status: 200, body: Array(request.path.utf8))
    }
}

@Suite struct TransportTests {
    /// The server and the client have an event loop each, as the other load tests' do; with one
    /// client loop the completions, which share `results`, come from one thread.
    @Test func requestsBeyondTheStreamLimitWaitInTheClientAndAllComplete() async throws {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: "127.0.0.1", port: 0, maxConcurrentStreams: 2, eventLoopThreads: 1),
            handler: SlowHandler(), logger: quietLogger)
        let running = Task { try await server.run() }
        let port = try await server.listeningPort()
        try await withEventLoopGroup { group in
            let pool = try await ClientConnectionPool.connect(
                to: Endpoint(host: "127.0.0.1", port: port), count: 2, version: .http2, eventLoopGroup: group)
            let results = NIOLockedValueBox<[Int: Int]>([:])
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let remaining = Atomic<Int>(60)
                for index in 0..<60 {
                    pool.send(HTTPRequest(method: "GET", path: "/\(index)"), on: index % 2) { result in
                        let status = (try? result.get())?.status ?? -1
                        let body = (try? result.get()).map { String(decoding: $0.body, as: UTF8.self) }
                        results.withLockedValue { $0[index] = body == "/\(index)" ? status : -2 }
                        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                    }
                }
            }
            // 60 requests at once against 2 × 2 streams: most waited, none was refused or mixed up.
            #expect(pool.queuedLocally > 0)
            #expect(results.withLockedValue { $0 }.count == 60)
            #expect(results.withLockedValue { $0 }.values.allSatisfy { $0 == 200 })
            await pool.close()
        }
        server.triggerGracefulShutdown()
        try await running.value
    }
}

/// Serialized: a script written while another test forks can be inherited open for writing by
/// that child, and executing it then fails with ETXTBSY ("Text file busy").
@Suite(.serialized) struct ServerProcessTests {
    /// A stand-in for `zenith` as a shell script: prints the announcement lines, then waits.
    private func script(_ body: String) throws -> (path: String, folder: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-fake-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/zenith"
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, folder)
    }

    @Test func learnsBothPortsFromTheAnnouncements() async throws {
        let fake = try script(
            """
            echo "zenith: serving fashion-cnn, fashion-mlp on http://0.0.0.0:41001"
            echo "zenith: operator API on http://127.0.0.1:41002"
            exec sleep 60
            """)
        defer { try? FileManager.default.removeItem(atPath: fake.folder) }
        let process = try await ServerProcess.start(
            executable: fake.path, modeArguments: ["--dense-only"], logPath: "\(fake.folder)/log")
        #expect(process.endpoint == Endpoint(host: "127.0.0.1", port: 41001))
        #expect(process.operatorEndpoint == Endpoint(host: "127.0.0.1", port: 41002))
        #expect(process.commandLine.hasSuffix("serve --host 127.0.0.1 --port 0 --operator-port 0 --dense-only"))
        // The test runner's threads may block SIGTERM, and a child inherits the mask: the SIGKILL
        // fallback ends the script then, after the timeout.
        await process.stop(timeout: 1)
    }

    /// zenith announces its ports in one write: a line after the serving line that is not the
    /// operator's means there is no operator API, and the wait for it ends there, not at its deadline.
    @Test func anAnnouncementWithoutTheOperatorLineHasNoOperatorEndpoint() async throws {
        let fake = try script(
            """
            printf 'zenith: serving fashion-cnn on http://127.0.0.1:41004\\nzenith: health on http://127.0.0.1:41005\\n'
            exec sleep 60
            """)
        defer { try? FileManager.default.removeItem(atPath: fake.folder) }
        let start = ContinuousClock.now
        let process = try await ServerProcess.start(executable: fake.path, logPath: "\(fake.folder)/log")
        #expect(ContinuousClock.now - start < .seconds(60), "the operator line's wait ran to its deadline")
        #expect(process.endpoint == Endpoint(host: "127.0.0.1", port: 41004))
        #expect(process.operatorEndpoint == nil)
        await process.stop(timeout: 1)
    }

    @Test func aZenithThatRefusesTheOperatorPortIsAnError() async throws {
        let fake = try script(
            """
            case "$*" in *operator-port*) echo "Error: Unknown option '--operator-port'" >&2; exit 64;; esac
            echo "zenith: serving fashion-cnn on http://127.0.0.1:41003"
            exec sleep 60
            """)
        defer { try? FileManager.default.removeItem(atPath: fake.folder) }
        do {
            let process = try await ServerProcess.start(executable: fake.path, logPath: "\(fake.folder)/log")
            await process.stop(timeout: 1)
            Issue.record("a server without the operator API was accepted")
        } catch {
            #expect("\(error)".contains("refused --operator-port"))
            #expect("\(error)".contains("\(fake.folder)/log"))
        }
    }

    @Test func aServerThatDiesSaysWhereItsLogIs() async throws {
        let fake = try script("echo 'no models' >&2; exit 3\n")
        defer { try? FileManager.default.removeItem(atPath: fake.folder) }
        do {
            _ = try await ServerProcess.start(executable: fake.path, logPath: "\(fake.folder)/log")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("exited with status 3"))
            #expect("\(error)".contains("\(fake.folder)/log"))
        }
    }
}
