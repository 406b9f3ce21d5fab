import Testing

@testable import ZenithServer

@Suite struct RouteTests {
    typealias Ref = Route.ModelReference

    @Test(arguments: [
        ("GET", "/v2", Route.serverMetadata),
        ("GET", "/v2/health/live", .live),
        ("GET", "/v2/health/ready", .ready),
        ("GET", "/metrics", .metrics),
        ("GET", "/v2/models/fashion-mlp", .modelMetadata(Ref(name: "fashion-mlp"))),
        ("GET", "/v2/models/fashion-mlp/versions/1", .modelMetadata(Ref(name: "fashion-mlp", version: "1"))),
        ("GET", "/v2/models/m/ready", .modelReady(Ref(name: "m"))),
        ("GET", "/v2/models/m/versions/2/ready", .modelReady(Ref(name: "m", version: "2"))),
        ("GET", "/v2/models/m/config", .modelConfig(Ref(name: "m"))),
        ("GET", "/v2/models/m/stats", .modelStatistics(Ref(name: "m"))),
        ("GET", "/v2/models/stats", .modelStatistics(nil)),
        ("POST", "/v2/models/m/infer", .infer(Ref(name: "m"))),
        ("POST", "/v2/models/m/versions/1/infer", .infer(Ref(name: "m", version: "1"))),
        ("POST", "/v2/models/fashion%2Dcnn/infer", .infer(Ref(name: "fashion-cnn"))),
        ("POST", "/v2/repository/index", .repositoryIndex),
        ("POST", "/v2/repository/models/m/load", .load("m")),
        ("POST", "/v2/repository/models/m/unload", .unload("m")),
    ])
    func matchesEveryRoute(method: String, path: String, route: Route) {
        #expect(Route.match(method: method, path: path[...]) == .success(route))
    }

    @Test(arguments: [
        "/", "", "/v1", "/v2/", "/v2//health/live", "/v2/health", "/v2/health/dead", "/v2/models", "/v2/models/",
        "/v2/models/m/infer/extra", "/v2/models/m/versions", "/v2/models/m/versions/1/unknown",
        "/v2/repository/models/m", "/v2/repository/models/m/reload", "/v2/models/bad%zz/ready",
        "/v2/models/%ff%fe/ready", "/metrics/x",
    ])
    func unknownPathsAreNotFound(path: String) {
        #expect(Route.match(method: "GET", path: path[...]) == .failure(.notFound))
        #expect(Route.match(method: "POST", path: path[...]) == .failure(.notFound))
    }

    @Test func aKnownPathWithTheWrongMethodIs405WithAllow() {
        #expect(
            Route.match(method: "GET", path: "/v2/models/m/infer") == .failure(.methodNotAllowed(allowed: ["POST"])))
        #expect(
            Route.match(method: "DELETE", path: "/v2/health/live") == .failure(.methodNotAllowed(allowed: ["GET", "HEAD"])))
        #expect(Route.match(method: "HEAD", path: "/v2/health/live") == .success(.live))
        #expect(Route.match(method: "HEAD", path: "/v2/models/m/infer") == .failure(.methodNotAllowed(allowed: ["POST"])))
        #expect(
            Route.match(method: "GET", path: "/v2/repository/index") == .failure(.methodNotAllowed(allowed: ["POST"])))
        let response = Route.MatchError.methodNotAllowed(allowed: ["POST"]).requestError.response
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "POST")
        #expect(String(decoding: response.body, as: UTF8.self).contains(#""error":"#))
    }
}
