import Testing
@testable import ZenithHTTP

@Suite struct H2CUpgradeTests {
    static let upgradeHeaders: HTTPHeaderList = [
        "Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c", "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA",
    ]

    @Test func aProperUpgradeRequestYieldsTheDecodedSettings() {
        let payload = H2CUpgrade.settingsPayload(from: Self.upgradeHeaders)
        // MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=0x40000000, ENABLE_PUSH=0.
        #expect(payload == [0, 3, 0, 0, 0, 100, 0, 4, 0x40, 0, 0, 0, 0, 2, 0, 0, 0, 0])
    }

    @Test func upgradesMissingAPieceAreNotUpgrades() {
        var noConnectionToken = Self.upgradeHeaders
        noConnectionToken.replaceOrAdd(name: "connection", value: "Upgrade")
        #expect(H2CUpgrade.settingsPayload(from: noConnectionToken) == nil)

        var websocket = Self.upgradeHeaders
        websocket.replaceOrAdd(name: "upgrade", value: "websocket")
        #expect(H2CUpgrade.settingsPayload(from: websocket) == nil)

        var twoSettings = Self.upgradeHeaders
        twoSettings.append(name: "http2-settings", value: "")
        #expect(H2CUpgrade.settingsPayload(from: twoSettings) == nil)

        var badBase64 = Self.upgradeHeaders
        badBase64.replaceOrAdd(name: "http2-settings", value: "AA*A")
        #expect(H2CUpgrade.settingsPayload(from: badBase64) == nil)
    }

    @Test func settingsNghttp2WouldFailOnAreNoUpgrade() {
        #expect(H2CUpgrade.isValidSettings([0, 3, 0, 0, 0, 100]))
        #expect(!H2CUpgrade.isValidSettings([0, 3, 0, 0, 0]), "not whole entries")
        #expect(!H2CUpgrade.isValidSettings([0, 2, 0, 0, 0, 2]), "ENABLE_PUSH 2")
        #expect(!H2CUpgrade.isValidSettings([0, 4, 0x80, 0, 0, 0]), "INITIAL_WINDOW_SIZE 2^31")
        #expect(!H2CUpgrade.isValidSettings([0, 5, 0, 0, 0x10, 0]), "MAX_FRAME_SIZE 4096")
        #expect(!H2CUpgrade.isValidSettings([0, 5, 0x01, 0, 0, 0]), "MAX_FRAME_SIZE 2^24")
        var pushTwo = Self.upgradeHeaders
        pushTwo.replaceOrAdd(name: "http2-settings", value: "AAIAAAAC")
        #expect(H2CUpgrade.settingsPayload(from: pushTwo) == nil)
    }

    @Test func base64URLDecodesWithOrWithoutPadding() {
        #expect(H2CUpgrade.decodeBase64URL("aGVsbG8") == Array("hello".utf8))
        #expect(H2CUpgrade.decodeBase64URL("aGVsbG8=") == Array("hello".utf8))
        #expect(H2CUpgrade.decodeBase64URL("-_8") == [0xFB, 0xFF])
        #expect(H2CUpgrade.decodeBase64URL("") == [])
    }
}
