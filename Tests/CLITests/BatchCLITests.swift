// `srcnn upscale` batches: several inputs or folders into an output folder, names kept, a failing file reported
// while the rest go on, a closing count and a non-zero exit when anything failed.
import Foundation
import SRCNN
import SRCNNImageIO
import TestSupport
import XCTest

final class BatchCLITests: XCTestCase {
    var dir: URL!
    var weights: String!

    override func setUpWithError() throws {
        dir = try makeTempDir()
        var net = Network.random(kernels: [5, 3, 3], filters: [8, 4], seed: 9)
        net.metadata = ["scale": "2"]
        weights = path("tiny.safetensors")
        try net.write(to: weights)
        try FileManager.default.createDirectory(atPath: path("in"), withIntermediateDirectories: true)
        for (i, name) in ["b.png", "a.png", "c.tif"].enumerated() {
            let planes = (0..<3).map { c in
                Plane(width: 12 + i, height: 9, data: (0..<((12 + i) * 9)).map { Float(($0 * (c + 2) + i) % 17) / 16 })
            }
            try ImageFile.save(RasterImage(width: 12 + i, height: 9, planes: planes, depth: .u8), to: path("in/" + name))
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// A folder and a damaged file into a folder that does not exist yet: the folder is made, the good files come
    /// out under their own names and formats equal to single runs, the damaged one is named, the rest go on.
    func testFolderAndFilesIntoANewFolderGoOnPastABadFile() throws {
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: path("broken.png")))
        let out = path("out/nested")
        let r = try runSRCNN(["upscale", path("broken.png"), path("in"), out, "--weights", weights])
        XCTAssertEqual(r.status, 1, "a failed file makes the batch fail: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("broken.png"), r.stderr)
        XCTAssertTrue(r.stderr.contains("3 succeeded, 1 failed"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["a.png", "b.png", "c.tif"])
        let single = try runSRCNN(["upscale", path("in/c.tif"), path("single.tif"), "--weights", weights, "-q"])
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/c.tif")).count > 0, true)
        XCTAssertEqual(try ImageFile.load(out + "/c.tif").planes.map(\.data), try ImageFile.load(path("single.tif")).planes.map(\.data))
        XCTAssertEqual(try ImageFile.load(out + "/a.png").width, 26)
    }

    /// --format gives every result that format; all good: exit 0 and the count; files in name order.
    func testFormatAndOrder() throws {
        let r = try runSRCNN(["upscale", path("in"), path("jpgs/"), "--format", "jpg", "--weights", weights])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("3 succeeded, 0 failed"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("jpgs")).sorted(), ["a.jpg", "b.jpg", "c.jpg"])
        // With --quiet only the count is printed.
        let q = try runSRCNN(["upscale", path("in/b.png"), path("in/a.png"), path("q"), "--weights", weights, "-q"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertEqual(q.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "srcnn: 2 succeeded, 0 failed")
    }

    /// Refused before any work: an output "folder" that is a file, a folder without images, a bad --format; and
    /// two inputs whose results would have the same name (the second fails, the first is kept).
    func testBadBatchesAreRefused() throws {
        try Data().write(to: URL(fileURLWithPath: path("afile")))
        var r = try runSRCNN(["upscale", path("in/a.png"), path("in/b.png"), path("afile"), "--weights", weights])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot create the output folder"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("afile"))).count, 0)
        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        r = try runSRCNN(["upscale", path("empty"), path("o2"), "--weights", weights])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no images"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o2")))
        r = try runSRCNN(["upscale", path("in"), path("o3"), "--format", "gif", "--weights", weights])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--format must be one of"), r.stderr)
        try FileManager.default.copyItem(atPath: path("in/a.png"), toPath: path("a.png"))
        r = try runSRCNN(["upscale", path("in/a.png"), path("a.png"), path("o4"), "--format", "png", "--weights", weights])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("would replace the result of"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1 succeeded, 1 failed"), r.stderr)
        // Results never replace inputs: the input folder as the output folder refuses every file, changes nothing.
        let before = try Data(contentsOf: URL(fileURLWithPath: path("in/a.png")))
        r = try runSRCNN(["upscale", path("in"), path("in"), "--weights", weights])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("would replace an input of this batch"), r.stderr)
        XCTAssertTrue(r.stderr.contains("0 succeeded, 3 failed"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("in/a.png"))), before)
    }
}
