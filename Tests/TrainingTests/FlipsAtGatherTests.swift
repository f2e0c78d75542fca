// SRCNN sets with flips at gather time: 1/8 of the stored patches, each drawn patch a flip of a stored one with its
// label still the centre crop of its input window, and a config that records the choice.
import XCTest
@testable import SRCNN
@testable import SRCNNTraining

final class FlipsAtGatherTests: XCTestCase {
    func testDrawnFlipsKeepTheLabelTheCentreOfTheInput() throws {
        var r = SplitMix64(seed: 5)
        let img = Plane(width: 61, height: 47, data: (0..<(61 * 47)).map { _ in Float(r.nextUniform()) })
        let size = 17, border = 4, settings = PatchSettings(size: size, stride: 7, flips: true)
        var stored = PatchSet(size: size, border: border), drawn = PatchSet(size: size, border: border, flipsOnGather: true)
        stored.add(hrLuma: img, scale: 3, settings: settings)
        drawn.add(hrLuma: img, scale: 3, settings: settings)
        XCTAssertEqual(drawn.count * 8, stored.count, "stored flips keep 8 copies, drawn flips one")
        // Input = label image: every drawn label must be the centre crop of its drawn input.
        var same = PatchSet(size: size, border: border, flipsOnGather: true)
        same.addPatches(input: img, label: img, stride: 7)
        var bi: [Float] = [], bl: [Float] = []
        let l = same.labelSide
        same.gather(Array(0..<same.count)[...], inputs: &bi, labels: &bl, seed: 11)
        var flipped = 0
        for k in 0..<same.count {
            for y in 0..<l { for x in 0..<l {
                XCTAssertEqual(bl[k * l * l + y * l + x], bi[k * size * size + (y + border) * size + x + border])
            } }
            if PatchSet.flip(seed: 11, position: k) != 0 { flipped += 1 }
        }
        XCTAssertGreaterThan(flipped, same.count / 2)
        // A drawn patch is a dihedral transform of the stored one.
        same.gather([3][...], inputs: &bi, labels: &bl, seed: 11)
        let t = PatchSet.flip(seed: 11, position: 0)
        let orig = Plane(width: size, height: size, data: Array(same.inputs[(3 * size * size)..<(4 * size * size)]))
        XCTAssertEqual(PatchSet.transform(orig, t).data, bi)
    }

    func testTheConfigRecordsIt() throws {
        var a = try TrainConfig.preset("paper-955"); a.patches.flips = true
        var b = a; b.patches.flipsAtGather = true
        XCTAssertEqual(b.mismatchDescription(a)?.hasPrefix("flips at gather time"), true)
        XCTAssertNil(a.mismatchDescription(a))
        let json = String(decoding: try JSONEncoder().encode(a.patches), as: UTF8.self)
        XCTAssertFalse(json.contains("flipsAtGather"))
        XCTAssertEqual(try JSONDecoder().decode(PatchSettings.self, from: Data(json.utf8)).flipsAtGather, nil)
    }
}
