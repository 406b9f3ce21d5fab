import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import ZenithJSON

@testable import ZenithServer

@Suite struct JSONLogHandlerTests {
    /// Every write the handler makes, in order.
    final class Lines: Sendable {
        private let written = NIOLockedValueBox<[String]>([])
        func append(_ line: String) { written.withLockedValue { $0.append(line) } }
        var all: [String] { written.withLockedValue { $0 } }
    }

    /// 2025-01-31T12:34:56.789Z
    static let instant = Date(timeIntervalSince1970: 1_738_326_896.789)

    func logger(_ lines: Lines, level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "zenith") { label in
            JSONLogHandler(label: label, now: { Self.instant }, write: lines.append)
        }
        logger.logLevel = level
        return logger
    }

    /// The one object a written line holds, checking that it is exactly one line.
    func object(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONObject {
        #expect(line.hasSuffix("\n"), sourceLocation: sourceLocation)
        #expect(line.dropLast().contains("\n") == false, sourceLocation: sourceLocation)
        let value = try JSONValue(parsing: line)
        return try #require(value.objectValue, sourceLocation: sourceLocation)
    }

    @Test func eachRecordIsOneLineOfJSONWithTheFixedFieldsAndTheMetadata() throws {
        let lines = Lines()
        let log = logger(lines)
        log.debug(
            "POST /v2/models/fashion-mlp/infer HTTP/2",
            metadata: ["model": "fashion-mlp", "plan": "keep-384", "queue_us": "12", "status": "200"])
        log.info("started")
        log.trace("not written at debug")

        #expect(lines.all.count == 2)
        let first = try object(lines.all[0])
        #expect(first["timestamp"] == .string("2025-01-31T12:34:56.789Z"))
        #expect(first["level"] == .string("debug"))
        #expect(first["label"] == .string("zenith"))
        #expect(first["message"] == .string("POST /v2/models/fashion-mlp/infer HTTP/2"))
        #expect(first["model"] == .string("fashion-mlp"))
        #expect(first["plan"] == .string("keep-384"))
        #expect(first["queue_us"] == .string("12"))
        #expect(first["status"] == .string("200"))
        #expect(Array(first.keys.prefix(5)) == JSONLogHandler.fixedFields)
        // Metadata after the fixed fields, sorted, so that lines diff well.
        #expect(Array(first.keys.dropFirst(5)) == ["model", "plan", "queue_us", "status"])

        let second = try object(lines.all[1])
        #expect(second["level"] == .string("info"))
        #expect(second.keys == JSONLogHandler.fixedFields)
    }

    @Test func specialCharactersAreEscapedAndSurviveTheRoundTrip() throws {
        let lines = Lines()
        let message = "line one\nline two\t\"quoted\" back\\slash \u{01} é ✓"
        logger(lines).warning("\(message)", metadata: ["path": "/a\"b\r\nc", "emoji": "🙂"])

        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(!line.dropLast().contains("\n"))
        #expect(!line.contains("\u{01}"))
        let record = try object(line)
        #expect(record["message"] == .string(message))
        #expect(record["path"] == .string("/a\"b\r\nc"))
        #expect(record["emoji"] == .string("🙂"))
    }

    @Test func typedMetadataKeepsItsTypeAndNestedMetadataNests() throws {
        let lines = Lines()
        logger(lines).info(
            "typed",
            metadata: [
                "total_us": .stringConvertible(1234), "ratio": .stringConvertible(0.5),
                "slo_met": .stringConvertible(true), "as_text": "1234",
                "plans": ["dense", "keep-384"], "queue": ["depth": .stringConvertible(3), "model": "m"],
            ])
        let record = try object(try #require(lines.all.first))
        #expect(record["total_us"] == .int(1234))
        #expect(record["ratio"] == .double(0.5))
        #expect(record["slo_met"] == .bool(true))
        #expect(record["as_text"] == .string("1234"))
        #expect(record["plans"] == .array(["dense", "keep-384"]))
        #expect(record["queue"] == .object(["depth": .int(3), "model": "m"]))
    }

    @Test func metadataCannotHideTheFixedFieldsAndLaterMetadataWins() throws {
        let lines = Lines()
        var log = logger(lines)
        log[metadataKey: "model"] = "from-logger"
        log[metadataKey: "replica"] = "a"
        log.error("failed", metadata: ["message": "spoof", "level": "spoof", "model": "from-call"])

        let record = try object(try #require(lines.all.first))
        #expect(record["message"] == .string("failed"))
        #expect(record["level"] == .string("error"))
        #expect(record["metadata.message"] == .string("spoof"))
        #expect(record["metadata.level"] == .string("spoof"))
        #expect(record["model"] == .string("from-call"))
        #expect(record["replica"] == .string("a"))
    }
}
