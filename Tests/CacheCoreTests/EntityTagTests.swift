import CacheCore
import Testing

@Suite struct EntityTagTests {
    @Test func theTagIsAQuotedHashOfTheBytes() {
        let tag = EntityTag(of: Array("{}".utf8))
        #expect(tag.description.count == 18)
        #expect(tag.description.hasPrefix("\"") && tag.description.hasSuffix("\""))
        #expect(tag == EntityTag(of: Array("{}".utf8)), "the same bytes, the same tag, on any server")
        #expect(tag != EntityTag(of: Array("{ }".utf8)))
        // FNV-1a 64 of the empty input is its offset basis.
        #expect(EntityTag(of: []).description == "\"cbf29ce484222325\"")
    }

    @Test func ifNoneMatchIsComparedWeakly() {
        let tag = EntityTag(of: Array("body".utf8))
        #expect(tag.isMatched(byIfNoneMatch: tag.description))
        #expect(tag.isMatched(byIfNoneMatch: "W/\(tag.description)"))
        #expect(tag.isMatched(byIfNoneMatch: "\"other\", \(tag.description) "))
        #expect(tag.isMatched(byIfNoneMatch: "*"))
        #expect(!tag.isMatched(byIfNoneMatch: "\"other\""))
        #expect(!tag.isMatched(byIfNoneMatch: ""))
        #expect(!tag.isMatched(byIfNoneMatch: String(tag.description.dropFirst())), "unquoted is another tag")
    }
}
