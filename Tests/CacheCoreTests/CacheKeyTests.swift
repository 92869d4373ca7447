import Testing

@testable import CacheCore

@Suite struct CacheKeyTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Two blocks of padding.
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func emptyQueryHashesTheEmptyString() {
        let key = CacheKey(prefix: "shop", path: "/products", query: CanonicalQuery(""))
        #expect(key.description == "shop:/products:e3b0c442")
        #expect(
            CacheKey(prefix: "shop", path: "/products/3", query: CanonicalQuery("?")).description == "shop:/products/3:e3b0c442")
    }

    @Test func queryOrderDoesNotSplitKeys() {
        let a = CanonicalQuery("featured=true&category=widgets")
        let b = CanonicalQuery("category=widgets&featured=true")
        #expect(a == b)
        #expect(a.description == "category=widgets&featured=true")
        #expect(a.hash8 == String(SHA256.hex("category=widgets&featured=true").prefix(8)))
    }

    @Test func percentEncodingIsNormalised() {
        let plain = CanonicalQuery("category=home+garden")
        let encoded = CanonicalQuery("category=home%20garden")
        let mixedCase = CanonicalQuery("%63ategory=home%20garden")
        #expect(plain == encoded)
        #expect(encoded == mixedCase)
        #expect(encoded.description == "category=home%20garden")
        #expect(CanonicalQuery("featured=%74rue").values("featured") == ["true"])
        #expect(CanonicalQuery("b=2&a=1&b=1").values("b") == ["1", "2"])
    }

    @Test func repeatedNamesSortByValue() {
        #expect(CanonicalQuery("tag=b&tag=a").description == "tag=a&tag=b")
        #expect(CanonicalQuery("&&x=1&").description == "x=1")
    }

    @Test func differentQueriesGetDifferentKeys() {
        let listing = CacheKey(prefix: "shop", path: "/products", query: CanonicalQuery(""))
        let featured = CacheKey(prefix: "shop", path: "/products", query: CanonicalQuery("featured=true"))
        #expect(listing != featured)
        #expect(listing.group == featured.group)
        #expect(CacheKey.group(ofKey: featured.description) == "shop:/products")
    }

    @Test func ttlJitterStaysInBounds() {
        let policy = CachePolicy(route: "/products", prefix: "shop", ttl: .seconds(120), jitter: 0.1)
        #expect(policy.ttlMilliseconds(random: 0) == 120_000)
        #expect(policy.ttlMilliseconds(random: 1) == 132_000)
        for _ in 0..<200 {
            let ttl = policy.ttlMilliseconds(random: Double.random(in: 0...1))
            #expect((120_000...132_000).contains(ttl))
        }
        let plain = CachePolicy(route: "/categories", prefix: "shop", ttl: .seconds(600))
        #expect(plain.ttlMilliseconds(random: 0.7) == 600_000)
    }
}

@Suite struct DurationTextTests {
    @Test func parsesCommandLineDurations() {
        #expect(DurationText.parse("200ms") == .milliseconds(200))
        #expect(DurationText.parse("1s") == .seconds(1))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse("2m") == .seconds(120))
        #expect(DurationText.parse("0") == .zero)
        #expect(DurationText.parse("fast") == nil)
        #expect(DurationText.parse("-1s") == nil)
        #expect(DurationText.parse("10") == nil)
    }

    @Test func formatsCompactly() {
        #expect(DurationText.format(.milliseconds(200)) == "200ms")
        #expect(DurationText.format(.milliseconds(3119)) == "3.1s")
        #expect(Duration.milliseconds(1_500).wholeMicroseconds == 1_500_000)
        #expect(Duration.nanoseconds(2_999_999).wholeMilliseconds == 2)  // truncated, not rounded
        #expect(DurationText.format(.seconds(60)) == "60s")
        #expect(DurationText.format(.zero) == "0")
    }
}
