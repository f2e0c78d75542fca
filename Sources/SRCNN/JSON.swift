// A small, strict JSON reader (RFC 8259) for safetensors headers, so the engine needs no Foundation JSON.
//
// Objects, arrays, strings (all escapes, \uXXXX with surrogate pairs), numbers, true/false/null. The top level
// must be an object or an array; whitespace may surround it; nesting is limited so bad input cannot overflow
// the stack. A key twice in one object is an error (as the reference safetensors parser).

/// A parsed JSON value.
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number (fractions, exponents, integers outside `Int`).
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The reason a text is not JSON, with the byte offset where that was noticed.
    struct SyntaxError: Error, Equatable {
        var message: String
        var offset: Int
    }

    /// Deepest nesting of arrays and objects accepted.
    static let maxDepth = 512

    /// Parses `bytes` (UTF-8) as one JSON array or object.
    static func parse<C: Collection<UInt8>>(_ bytes: C) throws -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buf in
            var p = JSONParser(bytes: buf)
            p.skipWhitespace()
            guard p.peek() == UInt8(ascii: "{") || p.peek() == UInt8(ascii: "[") else {
                throw p.error("expected an object or an array at the top level")
            }
            let v = try p.value(depth: 0)
            p.skipWhitespace()
            guard p.atEnd else { throw p.error("unexpected text after the value") }
            return v
        }
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { i >= bytes.count }
    func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }
    func error(_ message: String) -> JSONValue.SyntaxError { .init(message: message, offset: i) }

    mutating func skipWhitespace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func expect(_ literal: StaticString) throws {
        let n = literal.utf8CodeUnitCount
        guard bytes.count - i >= n else { throw error("truncated literal") }
        for k in 0..<n where bytes[i + k] != literal.utf8Start[k] { throw error("invalid literal") }
        i += n
    }

    mutating func value(depth: Int) throws -> JSONValue {
        skipWhitespace()
        guard let c = peek() else { throw error("unexpected end of input") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nesting too deep") }
        i += 1   // {
        var out: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { i += 1; return .object(out) }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':'") }
            i += 1
            guard out[key] == nil else { throw error("duplicate key \"\(key.prefix(64))\"") }
            out[key] = try value(depth: depth)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"): i += 1; return .object(out)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nesting too deep") }
        i += 1   // [
        var out: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { i += 1; return .array(out) }
        while true {
            out.append(try value(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "]"): i += 1; return .array(out)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    /// Four hex digits after "\u".
    mutating func hex4() throws -> UInt32 {
        guard bytes.count - i >= 4 else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    /// A string literal (at its opening quote); raw bytes are copied as they are (the caller checked UTF-8).
    mutating func string() throws -> String {
        i += 1   // "
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw error("unterminated string") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if (0xD800...0xDBFF).contains(v) {
                        guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(v) {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    out.append(contentsOf: String(Unicode.Scalar(v)!).utf8)
                default:
                    throw error("invalid escape")
                }
            case 0x00..<0x20:
                throw error("control character in string")
            default:
                out.append(c)
            }
        }
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    mutating func number() throws -> JSONValue {
        let start = i
        var integral = true
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while let c = p.peek(), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { p.i += 1 }
            return p.i - s
        }
        if peek() == UInt8(ascii: "-") { i += 1 }
        if peek() == UInt8(ascii: "0") {
            i += 1
        } else {
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        if peek() == UInt8(ascii: ".") {
            i += 1
            integral = false
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            i += 1
            integral = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw error("invalid number") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if integral, let v = Int(text) { return .integer(v) }
        guard let d = Double(text) else { throw error("invalid number") }
        return .number(d)
    }
}
