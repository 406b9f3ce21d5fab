import Foundation
import Testing

@testable import ZenithServer

@Suite struct ZenithHomeTests {
    /// A checkout at /src/zenith, its binary where `swift build -c release` puts it.
    static let checkout: Set<String> = ["/src/zenith/Models", "/src/zenith/Package.swift"]
    static let binary = "/src/zenith/.build/x86_64-unknown-linux-gnu/release/zenith"

    func resolve(
        environment: [String: String] = [:], executable: String? = binary, workingDirectory: String = "/home/user",
        files: Set<String> = checkout
    ) -> ZenithHome {
        ZenithHome.resolve(
            environment: environment, executablePath: executable, workingDirectory: workingDirectory,
            fileExists: files.contains)
    }

    @Test func theCheckoutHoldingTheExecutableIsFoundByWalkingUp() {
        let home = resolve()
        #expect(home == ZenithHome(directory: "/src/zenith", source: .executable(Self.binary)))
        #expect(home.path("Models") == "/src/zenith/Models")
        #expect(home.path("/mnt/models") == "/mnt/models")
    }

    @Test func bothMarkersMustBeInTheSameFolder() {
        // Models/ alone (a deployed tree) or Package.swift alone (another package) is not a checkout.
        let files: Set<String> = ["/src/zenith/.build/Models", "/src/Package.swift", "/src/zenith/Package.swift"]
        #expect(resolve(files: files) == ZenithHome(directory: "/home/user", source: .workingDirectory))
    }

    @Test func theNearestCheckoutWins() {
        let files = Self.checkout.union(["/src/Models", "/src/Package.swift"])
        #expect(resolve(files: files).directory == "/src/zenith")
    }

    @Test func zenithHomeOverridesTheExecutablesCheckout() {
        #expect(
            resolve(environment: ["ZENITH_HOME": "/opt/zenith/"])
                == ZenithHome(directory: "/opt/zenith", source: .environment))
        // Relative to the working directory, as a shell user means it.
        #expect(resolve(environment: ["ZENITH_HOME": "../shared/./zenith"]).directory == "/home/shared/zenith")
        // Set but empty is unset.
        #expect(resolve(environment: ["ZENITH_HOME": ""]).source == .executable(Self.binary))
    }

    @Test func withoutACheckoutTheWorkingDirectoryIsTheHome() {
        let installed = resolve(executable: "/usr/local/bin/zenith", workingDirectory: "/srv/models/")
        #expect(installed == ZenithHome(directory: "/srv/models", source: .workingDirectory))
        #expect(installed.path("Profiles") == "/srv/models/Profiles")
        #expect(resolve(executable: nil).source == .workingDirectory)
        // A folder at the root is still found; the walk stops at `/`.
        #expect(
            resolve(executable: "/zenith", files: ["/Models", "/Package.swift"])
                == ZenithHome(directory: "/", source: .executable("/zenith")))
        #expect(ZenithHome(directory: "/", source: .workingDirectory).path("Models") == "/Models")
    }

    @Test func theRuleFindsACheckoutOnDisk() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-home-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bin = root.appendingPathComponent(".build/release")
        let files = FileManager.default
        try files.createDirectory(at: bin, withIntermediateDirectories: true)
        try files.createDirectory(at: root.appendingPathComponent("Models"), withIntermediateDirectories: true)
        try Data().write(to: root.appendingPathComponent("Package.swift"))
        let home = ZenithHome.resolve(
            environment: [:], executablePath: bin.appendingPathComponent("zenith").path, workingDirectory: "/",
            fileExists: { files.fileExists(atPath: $0) })
        #expect(home.directory == root.path)
    }
}
