// The engine's own JSON reader (safetensors headers): values, escapes, numbers, and strict rejection of bad text.
import Foundation
import XCTest
@testable import SRCNN

final class JSONTests: XCTestCase {
    func parse(_ s: String) throws -> JSONValue { try JSONValue.parse(Array(s.utf8)) }

    func testValues() throws {
        XCTAssertEqual(try parse(" {\"a\": [1, -2, 0, 1.5, -0.25e1, 1E2, true, false, null, \"x\"], \"b\": {}} \n\t "),
                       .object(["a": .array([.integer(1), .integer(-2), .integer(0), .number(1.5), .number(-2.5),
                                             .number(100), .bool(true), .bool(false), .null, .string("x")]),
                                "b": .object([:])]))
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("[[[]]]"), .array([.array([.array([])])]))
        XCTAssertThrowsError(try parse("{\"k\": 1, \"k\": 2}"), "a duplicate key is an error")
        XCTAssertThrowsError(try parse("{\"a\": {\"k\": 1, \"k\": 1}}"), "also inside a nested object")
        // Int range: beyond it a number is no longer an integer.
        XCTAssertEqual(try parse("[9223372036854775807, -9223372036854775808]"), .array([.integer(.max), .integer(.min)]))
        XCTAssertEqual(try parse("[9223372036854775808]"), .array([.number(9223372036854775808)]))
        XCTAssertEqual(try parse("[1.0]"), .array([.number(1)]))
    }

    func testStringEscapes() throws {
        let text = #"["q\" b\\ s\/ \b\f\n\r\t", "\u00fc\u20AC \uD83D\uDE00 \u0000", "ü€😀"]"#
        XCTAssertEqual(try parse(text), .array([.string("q\" b\\ s/ \u{8}\u{C}\n\r\t"), .string("ü€ 😀 \u{0}"), .string("ü€😀")]))
        // Our writer's quoting reads back exactly, and Foundation agrees on what it means.
        let s = "quote \" backslash \\ newline \n tab \t ctrl \u{1} ü € 😀"
        let quoted = "[" + Safetensors.jsonQuote(s) + "]"
        XCTAssertEqual(try parse(quoted), .array([.string(s)]))
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(quoted.utf8)) as? [String], [s])
    }

    func testRejectsBadText() {
        let bad = ["", " ", "1", "\"s\"", "true", "null", "{", "[", "[1,]", "[1 2]", "{\"a\"}", "{\"a\":}", "{a: 1}",
                   "{\"a\": 1,}", "[01]", "[-]", "[1.]", "[.5]", "[1e]", "[+1]", "[tru]", "[nul]", "[\"abc]",
                   "[\"\\x\"]", "[\"\\u12G4\"]", "[\"\\uD800\"]", "[\"\\uDC00\"]", "[\"\\uD800\\u0041\"]",
                   "[\"tab\there\"]", "[1] x", "{} {}", "[NaN]", "[Infinity]"]
        for text in bad {
            XCTAssertThrowsError(try parse(text), "accepted \(text.debugDescription)")
        }
        // Deep nesting is an error, not a stack overflow.
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)))
        XCTAssertThrowsError(try parse(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)))
        XCTAssertThrowsError(try parse(String(repeating: "{\"a\":", count: 100_000)))
    }
}
