import Testing

@testable import ProductAPI

/// `POST /products` bodies, parsed without a server: malformed JSON is a 400, a wrong field a 422
/// whose message names the field, and what is accepted is normalised once.
@Suite struct ProductDraftTests {
    func parse(_ json: String) throws(ProductDraft.Invalid) -> ProductDraft { try ProductDraft.parse(Array(json.utf8)) }

    @Test func aValidBodyIsTrimmedAndDefaulted() throws {
        #expect(
            try parse(#"{"name": "  Sprocket ", "price": 3.5}"#)
                == ProductDraft(name: "Sprocket", price: 3.5, featured: false, category: "misc"))
        #expect(
            try parse(#"{"name": "x", "price": 0, "featured": true, "category": " tools "}"#)
                == ProductDraft(name: "x", price: 0, featured: true, category: "tools"))
        #expect(try parse(#"{"name": "x", "price": 1, "featured": null, "category": null}"#).category == "misc")
        #expect(try parse(#"{"name": "x", "price": -0.0}"#).price.sign == .plus, "-0 is stored and answered as 0")
    }

    @Test func malformedJSONIsMalformed() {
        for body in ["{not json", "", "1e400"] {
            #expect(throws: ProductDraft.Invalid.malformed("request body is not valid JSON"), "\(body)") { try parse(body) }
        }
    }

    @Test func eachWrongFieldIsNamed() {
        let cases: [(String, String)] = [
            ("[1]", "body must be a JSON object"),
            (#"{"price": 1}"#, "'name' is required"),
            (#"{"name": 5, "price": 1}"#, "'name' must be a string"),
            (#"{"name": "   ", "price": 1}"#, "'name' must be 1 to 200 characters"),
            (#"{"name": "\#(String(repeating: "é", count: 201))", "price": 1}"#, "'name' must be 1 to 200 characters"),
            (#"{"name": "a\u0000b", "price": 1}"#, "'name' must not contain control characters"),
            (#"{"name": "x"}"#, "'price' is required"),
            (#"{"name": "x", "price": "3"}"#, "'price' must be a number"),
            (#"{"name": "x", "price": -1}"#, "'price' must be >= 0"),
            (#"{"name": "x", "price": 1, "featured": 1}"#, "'featured' must be true or false"),
            (#"{"name": "x", "price": 1, "category": 7}"#, "'category' must be a string"),
            (#"{"name": "x", "price": 1, "category": ""}"#, "'category' must be 1 to 100 characters"),
            (#"{"name": "x", "price": 1, "category": "a\tb"}"#, "'category' must not contain control characters"),
        ]
        for (body, message) in cases {
            #expect(throws: ProductDraft.Invalid.field(message), "\(body)") { try parse(body) }
        }
    }
}
