// The weights shipped in Weights/: trained on T91 by `srcnn train`, found by `srcnn eval` without --weights,
// and at least as good as the authors' 9-1-5 (91 images) weights on Set5 and Set14 (the floor).
import Foundation
import SRCNN
import SRCNNHost
import TestSupport
import XCTest

final class ShippedWeightsTests: XCTestCase {
    /// The paper's 9-1-5 (91 images) mean Y-PSNR: the floor every shipped model must reach.
    static let floor: [(set: String, scale: Int, psnr: Double)] = [
        ("Set5", 2, 36.34), ("Set5", 3, 32.39), ("Set5", 4, 30.08),
        ("Set14", 2, 32.18), ("Set14", 3, 29.00), ("Set14", 4, 27.20),
    ]

    func testShippedModelsAreTrainedOnT91AndLoad() throws {
        let folder = Paths.root.appendingPathComponent("Weights")
        for scale in 2...4 {
            let path = folder.appendingPathComponent("srcnn-x\(scale).safetensors").path
            let net = try Network(contentsOf: path)
            try net.validate()
            XCTAssertEqual(net.metadata["scale"], "\(scale)", path)
            // The trainer records the data folder it read (…/shared/data/T91).
            XCTAssertEqual(net.metadata["training_set"].map { URL(fileURLWithPath: $0).lastPathComponent }, "T91", path)
            XCTAssertEqual(net.metadata["trainer"]?.hasPrefix("srcnn train"), true, path)
        }
    }

    func testShippedModelsReachTheFloor() throws {
        var report: [String] = []
        for row in Self.floor {
            let set = Paths.data.appendingPathComponent(row.set)
            guard requireShared(set) else { return }
            let dir = try makeTempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            let json = dir.appendingPathComponent("r.json").path
            // No --weights: the CLI picks the shipped model for the scale from Weights/.
            let r = try runSRCNN(["eval", "--set", set.path, "--scale", "\(row.scale)", "--json", json, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
            let means = obj["mean_psnr"] as! [Double]
            XCTAssertGreaterThanOrEqual(means[1], row.psnr, "\(row.set) x\(row.scale): shipped model below the 9-1-5 floor")
            report.append(String(format: "%@ x%d: bicubic %.3f, shipped %.3f (floor %.2f)", row.set, row.scale,
                                 means[0], means[1], row.psnr))
        }
        print(report.joined(separator: "\n"))
    }
}
