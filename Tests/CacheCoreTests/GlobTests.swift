import Testing

@testable import CacheCore

@Suite struct GlobTests {
    @Test func matchesLikeRedis() {
        #expect(Glob.matches("shop:/products:*", "shop:/products:e3b0c442"))
        #expect(!Glob.matches("shop:/products:*", "shop:/products/3:e3b0c442"))
        #expect(Glob.matches("shop:/products/?:*", "shop:/products/3:e3b0c442"))
        #expect(Glob.matches("h[ae]llo", "hallo"))
        #expect(!Glob.matches("h[^e]llo", "hello"))
        #expect(Glob.matches("h[a-c]llo", "hbllo"))
        #expect(Glob.matches("*", ""))
        #expect(!Glob.matches("a?", "a"))
    }

    @Test func escapedLiteralMatchesOnlyItself() {
        let literal = "shop:/products:[x]*?"
        let pattern = Glob.escape(literal)
        #expect(Glob.matches(pattern, literal))
        #expect(!Glob.matches(pattern, "shop:/products:x-anything"))
        #expect(!Glob.hasWildcards(pattern))
        #expect(Glob.hasWildcards("shop:*"))
        #expect(Glob.literalPrefix("shop:/products:*") == "shop:/products:")
        #expect(Glob.literalPrefix(Glob.escape("a*b") + "*") == "a*b")
    }

    @Test func confinedPatternsReachOnlyTheCachePrefixes() {
        #expect(Glob.isConfined("shop:*", to: ["shop"]))
        #expect(Glob.isConfined(Glob.escape("shop:[x]"), to: ["shop"]))
        #expect(Glob.isConfined("cart:/x:*", to: ["shop", "cart"]))
        for pattern in ["*", "sh*", "shop*", "s[h]op:*", "shop", "cachescope:gen", "?hop:*"] {
            #expect(!Glob.isConfined(pattern, to: ["shop"]), "\(pattern)")
        }
    }
}
