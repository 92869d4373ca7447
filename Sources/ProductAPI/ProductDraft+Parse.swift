import CacheScopeKit
import Foundation

extension ProductDraft {
    /// Why a body could not become a product: malformed JSON is a 400, well-formed JSON
    /// with wrong or missing fields a 422; the message names the field.
    public enum Invalid: Error, Equatable {
        case malformed(String)
        case field(String)
    }

    /// Validates `{"name": string 1-200 chars, "price": number >= 0, "featured"?: bool, "category"?: string}`.
    public static func parse(_ body: [UInt8]) throws(Invalid) -> ProductDraft {
        let object: [String: JSONValue]
        do {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
            guard case .object(let fields) = value else { throw Invalid.field("body must be a JSON object") }
            object = fields
        } catch let invalid as Invalid {
            throw invalid
        } catch {
            throw .malformed("request body is not valid JSON")
        }
        guard let nameValue = object["name"] else { throw .field("'name' is required") }
        guard case .string(let name) = nameValue else { throw .field("'name' must be a string") }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(trimmed.count) else { throw .field("'name' must be 1 to 200 characters") }
        guard !Self.hasControlCharacters(trimmed) else { throw .field("'name' must not contain control characters") }
        guard let priceValue = object["price"] else { throw .field("'price' is required") }
        guard case .number(let price) = priceValue, price.isFinite else { throw .field("'price' must be a number") }
        guard price >= 0 else { throw .field("'price' must be >= 0") }
        let normalisedPrice = price + 0  // -0.0 becomes 0: what is answered is what the store gives back
        var featured = false
        switch object["featured"] {
        case nil, .null?: break
        case .bool(let flag)?: featured = flag
        default: throw .field("'featured' must be true or false")
        }
        var category = "misc"
        switch object["category"] {
        case nil, .null?: break
        case .string(let text)?:
            let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(text.count) else { throw .field("'category' must be 1 to 100 characters") }
            guard !Self.hasControlCharacters(text) else { throw .field("'category' must not contain control characters") }
            category = text
        default: throw .field("'category' must be a string")
        }
        return ProductDraft(name: trimmed, price: normalisedPrice, featured: featured, category: category)
    }

    /// Control characters (NUL among them, which SQLite's text reads stop at) have no place in a name.
    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
