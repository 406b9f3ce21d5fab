import Foundation
import Testing

@testable import ZenithServer

@Suite struct ThreadNameTests {
    @Test func namesTheCallingThreadCutTo15Bytes() async {
        let seen = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            Thread {
                ThreadName.set("zenith-name-test-longer")
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                continuation.resume(returning: comm.trimmingCharacters(in: .whitespacesAndNewlines))
            }.start()
        }
        #expect(seen == "zenith-name-tes")
    }
}
