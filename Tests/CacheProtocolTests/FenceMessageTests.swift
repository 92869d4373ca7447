import CacheProtocol
import Testing

@Suite struct FenceMessageTests {
    @Test func messagesReadBackAsWritten() {
        let fence = FenceMessage.fence(writer: "a1b2c3d4", sequence: 7)
        #expect(fence.payload == "a1b2c3d4 7")
        #expect(FenceMessage(fencePayload: fence.payload) == fence)
        for message in [FenceMessage.ack(sequence: 7, server: "b"), .beat(sequence: 42)] {
            #expect(FenceMessage(inboxPayload: message.payload) == message)
        }
    }

    @Test func malformedPayloadsAreIgnored() {
        #expect(FenceMessage(fencePayload: "only-one-word") == nil)
        #expect(FenceMessage(fencePayload: "writer not-a-number") == nil)
        #expect(FenceMessage(inboxPayload: "ack 7") == nil)
        #expect(FenceMessage(inboxPayload: "beat x") == nil)
        #expect(FenceMessage(inboxPayload: "hello there") == nil)
    }
}
