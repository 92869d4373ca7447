extension RedisCommand {
    /// The commands in Redis's wire protocol (each an array of bulk strings), ready to write.
    /// Written directly rather than through hiredis's formatter, which allocates per command;
    /// encoding is the trivial half of RESP (hiredis still does the parsing). Callers encode on
    /// their own thread, so the event loop only copies bytes.
    static func encode(_ commands: [RedisCommand]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(commands.reduce(0) { $0 + 16 + $1.arguments.reduce(0) { $0 + $1.count + 16 } })
        for command in commands {
            bytes.append(UInt8(ascii: "*"))
            appendDecimal(command.arguments.count, to: &bytes)
            for argument in command.arguments {
                bytes.append(UInt8(ascii: "$"))
                appendDecimal(argument.count, to: &bytes)
                bytes += argument
                bytes += crlf
            }
        }
        return bytes
    }

    private static let crlf: [UInt8] = [13, 10]

    /// `value` in ASCII decimal followed by CRLF (a small string: no allocation).
    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        bytes += String(value).utf8
        bytes += crlf
    }
}
