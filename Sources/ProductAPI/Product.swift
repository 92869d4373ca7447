/// A product of the catalogue, as stored and as served.
public struct Product: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var price: Double
    public var featured: Bool
    public var category: String

    public init(id: Int64, name: String, price: Double, featured: Bool, category: String) {
        self.id = id
        self.name = name
        self.price = price
        self.featured = featured
        self.category = category
    }

    /// The five products of the seed example, stored in a new, empty store.
    public static let seed: [Product] = [
        Product(id: 1, name: "Widget Alpha", price: 9.99, featured: true, category: "widgets"),
        Product(id: 2, name: "Widget Beta", price: 14.99, featured: false, category: "widgets"),
        Product(id: 3, name: "Gadget Pro", price: 49.99, featured: true, category: "gadgets"),
        Product(id: 4, name: "Gadget Lite", price: 24.99, featured: false, category: "gadgets"),
        Product(id: 5, name: "Doohickey Max", price: 4.99, featured: false, category: "misc"),
    ]
}

/// A product to create, validated (see `ProductDraft.parse`).
public struct ProductDraft: Sendable, Equatable {
    public var name: String
    public var price: Double
    public var featured: Bool
    public var category: String

    public init(name: String, price: Double, featured: Bool, category: String) {
        self.name = name
        self.price = price
        self.featured = featured
        self.category = category
    }
}

/// A product written, and whether the write changed the set of categories: decided in the
/// write's own transaction, so concurrent writes cannot both miss the change.
public struct ProductWrite: Sendable, Equatable {
    public let product: Product
    public let categoriesChanged: Bool

    public init(product: Product, categoriesChanged: Bool) {
        self.product = product
        self.categoriesChanged = categoriesChanged
    }
}
