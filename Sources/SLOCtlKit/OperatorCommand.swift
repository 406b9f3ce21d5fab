public import ArgumentParser
import Foundation
public import ZenithJSON

/// A `sloctl` subcommand that makes one operator API call on every endpoint and prints each answer.
///
/// Output per endpoint: the rendered table (or, with `--json`, the server's JSON on one line; with
/// several endpoints each line is `{"endpoint": ..., "response"|"error": ...}`). Each failure is one
/// line on stderr, `sloctl: <endpoint>: <reason>`, and makes the process exit with 1.
public protocol OperatorCommand: AsyncParsableCommand {
    /// The shared options.
    var options: OperatorOptions { get }
    /// The call to make.
    func request() -> OperatorRequest
    /// The answer for people.
    func render(_ response: JSONValue) throws(OperatorError) -> String
    /// The answers of several endpoints as one table, for commands where that reads better than
    /// one table per endpoint; `nil` (the default) prints one per endpoint.
    func renderCombined(_ responses: [(endpoint: String, response: JSONValue)]) throws(OperatorError) -> String?
}

extension OperatorCommand {
    public func renderCombined(_ responses: [(endpoint: String, response: JSONValue)]) throws(OperatorError) -> String? {
        nil
    }
}

extension OperatorCommand {
    /// Calls every endpoint and collects the output.
    ///
    /// - Parameter environment: Where `ZENITH_OPERATOR_TOKEN` and `ZENITH_OPERATOR_ENDPOINTS` are looked up.
    public func execute(environment: [String: String]) async -> CommandOutput {
        var output = CommandOutput()
        let token: String?
        do {
            token = try self.options.resolveToken(environment: environment)
        } catch {
            output.stderr = "sloctl: \(error)\n"
            output.failed = true
            return output
        }
        let endpoints: [OperatorEndpoint]
        do {
            endpoints = try self.options.endpoints(environment: environment)
        } catch {
            output.stderr = "sloctl: \(error)\n"
            output.failed = true
            return output
        }
        let client = OperatorClient(token: token, timeout: self.options.timeoutDuration)
        let outcomes = await client.send(self.request(), to: endpoints)
        let several = endpoints.count > 1
        if several, !self.options.json {
            let answered = outcomes.compactMap { outcome -> (endpoint: String, response: JSONValue)? in
                guard case .success(let json) = outcome.result else { return nil }
                return (outcome.endpoint.description, json)
            }
            do {
                if let combined = try self.renderCombined(answered) {
                    output.stdout = combined
                    for outcome in outcomes {
                        if case .failure(let error) = outcome.result {
                            output.failed = true
                            output.stderr += "sloctl: \(outcome.endpoint): \(error)\n"
                        }
                    }
                    return output
                }
            } catch {
                output.failed = true
                output.stderr += "sloctl: \(error)\n"
                return output
            }
        }
        for (index, outcome) in outcomes.enumerated() {
            var result = outcome.result
            var rendered = ""
            if case .success(let json) = result, !self.options.json {
                do {
                    rendered = try self.render(json)
                } catch {
                    result = .failure(error)
                }
            }
            switch result {
            case .success(let json):
                if self.options.json {
                    let line: JSONValue =
                        several ? ["endpoint": .string(outcome.endpoint.description), "response": json] : json
                    output.stdout += line.serialized() + "\n"
                } else {
                    if several { output.stdout += (index > 0 ? "\n" : "") + "\(outcome.endpoint):\n" }
                    output.stdout += rendered
                }
            case .failure(let error):
                output.failed = true
                output.stderr += "sloctl: \(outcome.endpoint): \(error)\n"
                if self.options.json && several {
                    let line: JSONValue = [
                        "endpoint": .string(outcome.endpoint.description), "error": .string(error.description),
                    ]
                    output.stdout += line.serialized() + "\n"
                }
            }
        }
        return output
    }

    /// Prints what ``execute(environment:)`` collected; exits with 1 if any endpoint failed.
    public func run() async throws {
        let output = await self.execute(environment: ProcessInfo.processInfo.environment)
        if !output.stdout.isEmpty {
            FileHandle.standardOutput.write(Data(output.stdout.utf8))
        }
        if !output.stderr.isEmpty {
            FileHandle.standardError.write(Data(output.stderr.utf8))
        }
        if output.failed { throw ExitCode.failure }
    }
}
