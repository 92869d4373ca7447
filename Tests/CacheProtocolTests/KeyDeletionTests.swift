import CacheProtocol
import Testing

@Suite struct KeyDeletionTests {
    @Test func invalidationsBumpTheGenerationTheyCover() {
        #expect(KeyDeletion.generationField(for: "shop:/products:*") == "shop:/products")
        #expect(KeyDeletion.generationField(for: "shop:/products/3:*") == "shop:/products/3")
        #expect(KeyDeletion.generationField(for: "shop:/categories:e3b0c442") == "shop:/categories")
        #expect(KeyDeletion.generationField(for: "shop:*") == "*")  // spans every group of the prefix
        #expect(KeyDeletion.generationField(for: "app:shop:*") == "*")
        #expect(KeyDeletion.generationField(for: "shop:/products:a*") == "*")
        #expect(KeyDeletion.generationField(for: "shop:/products/[12]:*") == "*")
    }
}
