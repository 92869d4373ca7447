import CacheProtocol
import ProductAPI
import Testing

@testable import CacheScopeKit

@Suite struct FenceAcksTests {
    /// The writer is already waiting when the answers come, one by one; it wakes at the last needed one.
    @Test func aWaitingWriterWakesWhenEveryNeededServerAnswered() async throws {
        let acks = FenceAcks()
        let fence = acks.open()
        acks.acknowledged(fence, by: "a")  // an answer can beat the publish's reply
        let started = ContinuousClock.now
        let waiting = Task { await acks.wait(for: fence, from: ["a", "b", "c"], until: .now + .seconds(10)) }
        try await Task.sleep(for: .milliseconds(50))  // the writer waits first
        acks.acknowledged(fence + 1, by: "b")  // another fence's answer does not count
        acks.acknowledged(fence, by: "b")
        acks.acknowledged(fence, by: "b")  // nor does a repeated one
        acks.acknowledged(fence, by: "newcomer")  // nor one from a server the fence did not wait for
        try await Task.sleep(for: .milliseconds(50))
        acks.acknowledged(fence, by: "c")
        #expect(await waiting.value == 3)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func theDeadlineEndsTheWaitWithTheAnswersSoFar() async {
        let acks = FenceAcks()
        let fence = acks.open()
        acks.acknowledged(fence, by: "a")
        acks.acknowledged(fence, by: "stranger")
        let deadline = ContinuousClock.now + .milliseconds(200)
        #expect(await acks.wait(for: fence, from: ["a", "b"], until: deadline) == 1)
        #expect(ContinuousClock.now >= deadline)
        acks.acknowledged(fence, by: "b")  // late answers to a closed fence are ignored
    }

    @Test func answersThatAllCameBeforeTheWaitEndItAtOnce() async {
        let acks = FenceAcks()
        let fence = acks.open()
        acks.acknowledged(fence, by: "a")
        acks.acknowledged(fence, by: "b")
        let started = ContinuousClock.now
        #expect(await acks.wait(for: fence, from: ["a", "b"], until: .now + .seconds(10)) == 2)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func nobodyToWaitForReturnsAtOnce() async {
        let acks = FenceAcks()
        let fence = acks.open()
        let started = ContinuousClock.now
        #expect(await acks.wait(for: fence, from: [], until: .now + .seconds(10)) == 0)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
