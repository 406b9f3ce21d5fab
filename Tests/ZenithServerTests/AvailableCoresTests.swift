import Foundation
import Testing

@testable import ZenithServer

@Suite struct AvailableCoresTests {
    @Test func theAffinityListIsCountedRangeByRange() {
        func count(_ list: String) -> Int? {
            AvailableCores.affinityCount(procStatus: "Name:\tzenith\nCpus_allowed:\t3\nCpus_allowed_list:\t\(list)\nMems_allowed:\t1\n")
        }
        #expect(count("0-1") == 2)
        #expect(count("1") == 1)
        #expect(count("0-3,8,10-11") == 7)
        #expect(count("") == nil)
        #expect(count("3-1") == nil)
        #expect(count("x") == nil)
        #expect(AvailableCores.affinityCount(procStatus: "Name:\tzenith\n") == nil)
    }

    @Test func thisProcessHasAtLeastOneCoreAndNoMoreThanTheMachine() {
        #expect((1...max(1, ProcessInfo.processInfo.activeProcessorCount)).contains(AvailableCores.count))
    }
}
