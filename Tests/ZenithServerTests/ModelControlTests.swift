import Testing

@testable import ZenithServer

/// Who may load and unload models through the data port.
@Suite struct ModelControlTests {
    @Test func offByDefaultOpenWhenExplicitBehindTheTokenWhenThereIsOne() {
        #expect(ModelControl.none.refusal(authorization: "Bearer s3cret")?.status == 403)
        #expect(ModelControl.none.refusal(authorization: nil)?.reason == "model_control_off")
        #expect(ModelControl.explicit.refusal(authorization: nil) == nil)
        let guarded = ModelControl.token("s3cret")
        #expect(guarded.refusal(authorization: nil)?.status == 401)
        #expect(guarded.refusal(authorization: "Bearer wrong")?.status == 401)
        #expect(guarded.refusal(authorization: "Bearer s3cret") == nil)
        #expect(guarded.refusal(authorization: "bearer  s3cret ") == nil)
    }
}
