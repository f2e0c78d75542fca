// The weights shipped in Weights/: SRCNN (T91, then 291) and FSRCNN (291) trained by `srcnn train`, found by `srcnn eval`
// without --weights, and at their floors on Set5 and Set14 (SRCNN: the paper's 9-1-5; FSRCNN: issue 9's targets).
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

    /// FSRCNN's floor: the paper's FSRCNN (91 images) on Set5 (issue 9's target), the authors' SRCNN 9-5-5 ImageNet
    /// on Set14 (by `srcnn eval`, Weights/MODEL_CARD.md).
    static let fsrcnnFloor: [(set: String, scale: Int, psnr: Double)] = [
        ("Set5", 2, 36.94), ("Set5", 3, 33.06), ("Set5", 4, 30.55),
        ("Set14", 2, 32.454), ("Set14", 3, 29.292), ("Set14", 4, 27.502),
    ]

    func testShippedModelsAreTrainedOn291AndLoad() throws {
        let folder = Paths.root.appendingPathComponent("Weights")
        for scale in 2...4 {
            let path = folder.appendingPathComponent("srcnn-x\(scale).safetensors").path
            let net = try Network(contentsOf: path)
            try net.validate()
            XCTAssertEqual(net.metadata["scale"], "\(scale)", path)
            // The trainer records the data folder it read (train.sh's train291: T91 + 190 BSD200 images).
            XCTAssertEqual(net.metadata["training_set"].map { URL(fileURLWithPath: $0).lastPathComponent }, "train291",
                           path)
            XCTAssertEqual(net.metadata["trainer"]?.hasPrefix("srcnn train"), true, path)
        }
    }

    func testShippedFSRCNNModelsAreTrainedOn291AndLoad() throws {
        let folder = Paths.root.appendingPathComponent("Weights")
        for scale in 2...4 {
            let path = folder.appendingPathComponent("fsrcnn-x\(scale).safetensors").path
            let model = try SRModel(safetensors: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            guard case .fsrcnn(let f) = model else { return XCTFail("\(path) is not an FSRCNN file") }
            XCTAssertEqual(model.description, "FSRCNN(56,12,4) x\(scale)", path)
            XCTAssertEqual(f.scale, scale, path)
            XCTAssertEqual(f.metadata["training_set"].map { URL(fileURLWithPath: $0).lastPathComponent }, "train291", path)
            XCTAssertEqual(f.metadata["trainer"]?.hasPrefix("srcnn train"), true, path)
        }
    }

    func testShippedModelsReachTheFloor() throws { try reachFloor(Self.floor, model: "srcnn") }

    func testShippedFSRCNNModelsReachTheFloor() throws { try reachFloor(Self.fsrcnnFloor, model: "fsrcnn") }

    func reachFloor(_ floor: [(set: String, scale: Int, psnr: Double)], model: String) throws {
        var report: [String] = []
        for row in floor {
            let set = Paths.data.appendingPathComponent(row.set)
            guard requireShared(set) else { return }
            let dir = try makeTempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            let json = dir.appendingPathComponent("r.json").path
            // No --weights: the CLI picks the shipped model for the scale from Weights/.
            let r = try runSRCNN(["eval", "--set", set.path, "--scale", "\(row.scale)", "--model", model,
                                  "--json", json, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
            let means = obj["mean_psnr"] as! [Double]
            XCTAssertGreaterThanOrEqual(means[1], row.psnr, "\(row.set) x\(row.scale): shipped \(model) below its floor")
            report.append(String(format: "%@ x%d: bicubic %.3f, shipped %@ %.3f (floor %.3f)", row.set, row.scale,
                                 means[0], model, means[1], row.psnr))
        }
        print(report.joined(separator: "\n"))
    }
}
