@testable import CacheServer
import Testing

@Suite struct FenceAcksTests {
    @Test func answersBeforeTheWaitCountAndTheWaitEndsAtTheLastOne() async {
        let acks = FenceAcks()
        let fence = acks.open()
        acks.acknowledged(fence)  // an answer can beat PUBLISH's reply
        let waiting = Task { await acks.wait(for: fence, count: 3, until: .now + .seconds(10)) }
        acks.acknowledged(fence + 1)  // another fence's answer does not count
        acks.acknowledged(fence)
        acks.acknowledged(fence)
        let started = ContinuousClock.now
        #expect(await waiting.value == 3)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func theDeadlineEndsTheWaitWithTheAnswersSoFar() async {
        let acks = FenceAcks()
        let fence = acks.open()
        acks.acknowledged(fence)
        let deadline = ContinuousClock.now + .milliseconds(200)
        #expect(await acks.wait(for: fence, count: 2, until: deadline) == 1)
        #expect(ContinuousClock.now >= deadline)
        acks.acknowledged(fence)  // late answers to a closed fence are ignored
    }

    @Test func nobodyToWaitForReturnsAtOnce() async {
        let acks = FenceAcks()
        let fence = acks.open()
        let started = ContinuousClock.now
        #expect(await acks.wait(for: fence, count: 0, until: .now + .seconds(10)) == 0)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
