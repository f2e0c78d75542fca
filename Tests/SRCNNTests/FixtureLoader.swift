// Loads Fixtures/resize.json (expected values from shared/tools/srref.py, see make_fixtures.py).
import Foundation
import XCTest
@testable import SRCNN

struct ResizeFixtures: Decodable {
    struct ResizeCase: Decodable {
        var name: String
        var width: Int
        var height: Int
        var input: [Double]
        var scale: Double?
        var outWidth: Int
        var outHeight: Int
        var output: [Double]

        var inputPlane: Plane { Plane(width: width, height: height, data: input.map(Float.init)) }
        var outputPlane: Plane { Plane(width: outWidth, height: outHeight, data: output.map(Float.init)) }
    }

    struct ColourCase: Decodable {
        var width: Int
        var height: Int
        var r, g, b, y, cb, cr, r2, g2, b2: [Double]

        func plane(_ v: [Double]) -> Plane { Plane(width: width, height: height, data: v.map(Float.init)) }
    }

    struct LumaCase: Decodable {
        var count: Int
        var ties: Int
        var r, g, b, y: [Int]
    }

    var resize: [ResizeCase]
    var colour: ColourCase
    var luma: LumaCase

    static func load(file: StaticString = #filePath) throws -> ResizeFixtures {
        let url = URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
            .appendingPathComponent("Fixtures/resize.json")
        return try JSONDecoder().decode(ResizeFixtures.self, from: Data(contentsOf: url))
    }
}

/// Largest absolute difference between two planes, failing the test if the sizes differ.
func maxDiff(_ a: Plane, _ b: Plane, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Float {
    guard a.width == b.width && a.height == b.height else {
        XCTFail("\(what): size \(a.width)x\(a.height) != \(b.width)x\(b.height)", file: file, line: line)
        return .infinity
    }
    return a.maxAbsDifference(b)
}
