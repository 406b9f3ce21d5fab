public import ArgumentParser
import Foundation

/// The options every `sloctl` command shares: where the operator API is, how to authenticate,
/// how to print, and how long to wait.
public struct OperatorOptions: ParsableArguments {
    /// The default endpoint: `zenith serve`'s operator listener on loopback.
    public static let defaultEndpoint = "http://127.0.0.1:8001"
    /// The environment variable holding the bearer token.
    public static let tokenVariable = "ZENITH_OPERATOR_TOKEN"
    /// The environment variable listing the endpoints (comma-separated) when no `--endpoint` is given.
    public static let endpointsVariable = "ZENITH_OPERATOR_ENDPOINTS"

    @Option(
        name: .customLong("endpoint"),
        help: ArgumentHelp(
            "Operator API URL (http://HOST:PORT). Repeat it to reach several replicas: every call goes to each (default: $\(OperatorOptions.endpointsVariable), comma-separated, else \(OperatorOptions.defaultEndpoint)).",
            valueName: "url"))
    public var endpointURLs: [String] = []

    @Option(help: ArgumentHelp("Bearer token (default: $\(OperatorOptions.tokenVariable)).", valueName: "token"))
    public var token: String?

    @Option(help: ArgumentHelp("File whose trimmed content is the bearer token.", valueName: "path"))
    public var tokenFile: String?

    @Flag(help: "Print the server's JSON instead of tables: one object per endpoint and line.")
    public var json = false

    @Option(help: ArgumentHelp("Seconds to wait for each endpoint, connecting and answering.", valueName: "seconds"))
    public var timeout: Double = 5

    public init() {}

    public func validate() throws {
        for url in self.endpointURLs {
            do {
                _ = try OperatorEndpoint(parsing: url)
            } catch {
                throw ValidationError(error.description)
            }
        }
        guard self.timeout.isFinite, self.timeout > 0 else {
            throw ValidationError("--timeout must be a positive number of seconds (got \(self.timeout))")
        }
        if self.token != nil && self.tokenFile != nil {
            throw ValidationError("give --token or --token-file, not both")
        }
        if let token = self.token, token.isEmpty {
            throw ValidationError("--token must not be empty")
        }
        // Read now so that an unreadable file is refused before anything is sent.
        _ = try self.resolveToken(environment: [:])
    }

    /// The endpoints to call, in the order given: `--endpoint`s, else those of
    /// `$ZENITH_OPERATOR_ENDPOINTS`, else the default one.
    ///
    /// - Parameter environment: The process environment (passed in so tests control it).
    /// - Throws: `ValidationError` naming an endpoint of the variable that does not parse.
    public func endpoints(environment: [String: String]) throws -> [OperatorEndpoint] {
        if !self.endpointURLs.isEmpty {
            // validate() has parsed each already.
            return self.endpointURLs.compactMap { try? OperatorEndpoint(parsing: $0) }
        }
        let listed = (environment[Self.endpointsVariable] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try (listed.isEmpty ? [Self.defaultEndpoint] : listed).map { url in
            do {
                return try OperatorEndpoint(parsing: url)
            } catch {
                throw ValidationError("$\(Self.endpointsVariable): \(error)")
            }
        }
    }

    /// How long to wait for each endpoint.
    public var timeoutDuration: Duration {
        .nanoseconds(Int64(min(self.timeout, 1e9) * 1e9))
    }

    /// The bearer token: `--token`, else the content of `--token-file`, else the environment's.
    ///
    /// - Parameter environment: The process environment (passed in so tests control it).
    /// - Throws: `ValidationError` when the token file cannot be read or is empty.
    public func resolveToken(environment: [String: String]) throws -> String? {
        if let token = self.token { return token }
        if let path = self.tokenFile {
            let contents: String
            do {
                contents = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read the token file \(path)")
            }
            let token = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("the token file \(path) is empty") }
            return token
        }
        if let token = environment[Self.tokenVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            return token
        }
        return nil
    }
}
