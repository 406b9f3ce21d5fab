import Testing
import ZenithGRPC
import ZenithHTTP

/// gRPC's framing, `grpc-timeout` and status fields, without sockets.
@Suite struct GRPCFramingTests {
    @Test func aFramedMessageRoundTrips() throws {
        let message: [UInt8] = Array(0..<200).map { UInt8($0) }
        let framed = GRPCFraming.framed(message)
        #expect(framed.prefix(5) == [0, 0, 0, 0, 200])
        #expect(try GRPCFraming.unaryMessage(in: framed) == message[...])
        // An empty message (ServerLive's request) is a bare prefix.
        #expect(GRPCFraming.framed([UInt8]()) == [0, 0, 0, 0, 0])
        #expect(try GRPCFraming.unaryMessage(in: [0, 0, 0, 0, 0]).isEmpty)
    }

    @Test func theLengthIsBigEndian() throws {
        let framed = GRPCFraming.framed([UInt8](repeating: 7, count: 0x01_02_03))
        #expect(framed.prefix(5) == [0, 0, 0x01, 0x02, 0x03])
        #expect(try GRPCFraming.unaryMessage(in: framed).count == 0x01_02_03)
    }

    @Test func malformedFramingIsRefused() {
        func error(_ body: [UInt8]) -> GRPCFraming.DecodeError? {
            do {
                _ = try GRPCFraming.unaryMessage(in: body)
                return nil
            } catch {
                return error
            }
        }
        #expect(error([]) == .empty)
        #expect(error([0, 0, 0]) == .truncatedPrefix(available: 3))
        #expect(error([0, 0, 0, 0, 4, 1, 2]) == .truncatedMessage(declared: 4, available: 2))
        #expect(error([1, 0, 0, 0, 1, 9]) == .compressed)
        #expect(error([2, 0, 0, 0, 0]) == .badFlag(2))
        #expect(error([0, 0, 0, 0, 1, 9] + [0, 0, 0, 0, 0]) == .trailingBytes(count: 5))
    }

    @Test func aCompressedMessageIsUnimplementedWithAnEncodingAndInternalWithout() {
        #expect(GRPCFraming.DecodeError.compressed.status(encoding: "gzip").code == .unimplemented)
        #expect(GRPCFraming.DecodeError.compressed.status(encoding: "gzip").message.contains("gzip"))
        #expect(GRPCFraming.DecodeError.compressed.status(encoding: nil).code == .internal)
        #expect(GRPCFraming.DecodeError.compressed.status(encoding: "identity").code == .internal)
        #expect(GRPCFraming.DecodeError.empty.status(encoding: nil).code == .internal)
    }
}

@Suite struct GRPCTimeoutTests {
    @Test func everyUnitParses() {
        #expect(GRPCTimeout.nanoseconds("100m") == 100_000_000)
        #expect(GRPCTimeout.nanoseconds("5S") == 5_000_000_000)
        #expect(GRPCTimeout.nanoseconds("2M") == 120_000_000_000)
        #expect(GRPCTimeout.nanoseconds("1H") == 3_600_000_000_000)
        #expect(GRPCTimeout.nanoseconds("250u") == 250_000)
        #expect(GRPCTimeout.nanoseconds("99999999n") == 99_999_999)
        #expect(GRPCTimeout.nanoseconds("0m") == 0)
    }

    @Test func malformedValuesAreRefused() {
        for value in ["", "m", "100", "100x", "-5S", "1.5S", "123456789S", " 5S", "5s"] {
            #expect(GRPCTimeout.nanoseconds(value) == nil, "\(value)")
        }
    }

}

@Suite struct GRPCStatusTests {
    @Test func httpStatusesMapToGRPCCodes() {
        #expect(GRPCStatus.code(httpStatus: 400) == .invalidArgument)
        #expect(GRPCStatus.code(httpStatus: 404) == .notFound)
        #expect(GRPCStatus.code(httpStatus: 429) == .resourceExhausted)
        #expect(GRPCStatus.code(httpStatus: 503) == .unavailable)
        #expect(GRPCStatus.code(httpStatus: 504) == .deadlineExceeded)
        #expect(GRPCStatus.code(httpStatus: 499) == .cancelled)
        #expect(GRPCStatus.code(httpStatus: 500) == .internal)
        #expect(GRPCStatus.code(httpStatus: 405) == .unimplemented)
        #expect(GRPCStatus.code(httpStatus: 200) == .ok)
    }

    @Test func theMessageIsPercentEncoded() {
        #expect(GRPCStatus.percentEncoded("plain text: ok") == "plain text: ok")
        #expect(GRPCStatus.percentEncoded("100% sure\n") == "100%25 sure%0A")
        #expect(GRPCStatus.percentEncoded("café") == "caf%C3%A9")
    }

    @Test func theStatusFieldsCarryReasonAndRetry() {
        let fields = GRPCStatus(.resourceExhausted, "too busy", reason: "slo_infeasible", retryAfterSeconds: 2).fields
        #expect(fields["grpc-status"] == "8")
        #expect(fields["grpc-message"] == "too busy")
        #expect(fields["zenith-reason"] == "slo_infeasible")
        #expect(fields["retry-after"] == "2")
        #expect(GRPCStatus(.ok, "").fields == ["grpc-status": "0"])
    }

    @Test func methodsAreMatchedByPath() throws {
        #expect(try GRPCMethod.match(path: "/inference.GRPCInferenceService/ModelInfer") == .modelInfer)
        for path in [
            "/inference.GRPCInferenceService/ModelStreamInfer", "/inference.GRPCInferenceService/CudaSharedMemoryStatus",
            "/grpc.health.v1.Health/Check",
        ] {
            #expect(throws: GRPCStatus.self) { try GRPCMethod.match(path: path[...]) }
            do {
                _ = try GRPCMethod.match(path: path[...])
            } catch {
                #expect(error.code == .unimplemented)
            }
        }
    }
}
