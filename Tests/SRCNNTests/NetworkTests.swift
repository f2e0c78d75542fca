// Network validation: every malformed layer chain gets a clear error.
import XCTest
@testable import SRCNN

final class NetworkTests: XCTestCase {
    func testRandomNetworkValidates() throws {
        let n = Network.random(kernels: [9, 5, 5], filters: [64, 32], seed: 1)
        XCTAssertNoThrow(try n.validate())
        XCTAssertEqual(n.parameterCount, 57281)
        XCTAssertEqual(n.receptiveRadius, 8)
        XCTAssertEqual(n.architecture, "9-5-5 (64/32)")
    }

    func testBadChainsAreRejected() {
        var n = Network.random(kernels: [9, 1, 5], filters: [64, 32], seed: 2)
        n.layers[1].inChannels = 63
        n.layers[1].weights = [Float](repeating: 0.1, count: 32 * 63)
        XCTAssertThrowsError(try n.validate()) { e in
            XCTAssertTrue("\(e)".contains("conv2 takes 63 channels but conv1 gives 64"), "\(e)")
        }
        var even = Network.random(kernels: [9, 1, 5], filters: [64, 32], seed: 2)
        even.layers[0] = ConvLayer(outChannels: 64, inChannels: 1, kernel: 8,
                                   weights: [Float](repeating: 0, count: 64 * 64), bias: [Float](repeating: 0, count: 64))
        XCTAssertThrowsError(try even.validate()) { e in XCTAssertTrue("\(e)".contains("odd"), "\(e)") }
        var nan = Network.random(kernels: [3, 3], filters: [4], seed: 3)
        nan.layers[1].weights[2] = .nan
        XCTAssertThrowsError(try nan.validate()) { e in XCTAssertTrue("\(e)".contains("not finite"), "\(e)") }
    }
}
