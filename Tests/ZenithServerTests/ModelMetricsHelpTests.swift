import Testing

@testable import ZenithServer

@Suite struct ModelMetricsHelpTests {
    @Test func everyFamilyAModelEmitsHasAHelpTextAndEveryTextAFamily() {
        let recorder = RecordingMetricsFactory()
        _ = ModelMetrics(model: "m", plans: ["dense", "exit-050"], factory: recorder)
        #expect(!recorder.names.isEmpty)
        #expect(recorder.names == Set(ModelMetrics.helpTexts.keys))
        for (name, text) in ModelMetrics.helpTexts {
            // One sentence on one line: the exposition format ends a HELP line at a newline.
            #expect(!text.isEmpty && !text.contains("\n") && text.hasSuffix("."), "\(name)")
        }
    }
}
