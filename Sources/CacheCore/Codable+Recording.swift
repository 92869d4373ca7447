/// How the dashboard's inputs are written to a recording (`watch --record`): plain values, in the
/// same field names the stream and counters use, so a recording reads like the schema.
// ServerPresence and InFlightLoad are Codable where they are declared (synthesis needs that).

extension RouteCounts: Codable {
    /// The counters that are not zero, by their hash field names.
    public func encode(to encoder: any Encoder) throws {
        var fields: [String: Int] = [:]
        for field in CounterField.allCases where self[field] != 0 { fields[field.name] = self[field] }
        var container = encoder.singleValueContainer()
        try container.encode(fields)
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        for (name, value) in try decoder.singleValueContainer().decode([String: Int].self) {
            if let field = CounterField(name: name) { self[field] = value }
        }
    }
}

extension CacheEvent: Codable {
    /// The stream entry's fields.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(streamFields) { first, _ in first })
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let event = CacheEvent(streamFields: try container.decode([String: String].self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a cache event")
        }
        self = event
    }
}
