import Testing

@testable import LoadGenerator

@Suite struct RequestMixTests {
    @Test func zipfFavoursTheHead() {
        let table = ZipfTable(count: 8, exponent: 1.1)
        var counts = [Int](repeating: 0, count: 8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { counts[table.sample(Double.random(in: 0..<1, using: &generator))] += 1 }
        #expect(counts[0] > counts[1])
        #expect(counts[1] > counts[7])
        #expect(counts.allSatisfy { $0 > 0 })
        #expect(table.sample(0) == 0)
        #expect(table.sample(0.999_999) == 7)
    }

    @Test func writeRatioIsHonoured() {
        let mix = RequestMix(writeRatio: 0.1)
        var writes = 0
        for _ in 0..<10_000 {
            switch mix.next({ Double.random(in: 0..<1) }) {
            case .create, .delete: writes += 1
            case .get(let path): #expect(path.hasPrefix("/products") || path == "/categories")
            }
        }
        #expect((700...1300).contains(writes))
        #expect(RequestMix(writeRatio: 0).next { 0 } == .get("/products"))
    }
}
