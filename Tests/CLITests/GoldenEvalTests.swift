// Golden tests: `srcnn eval` with the authors' 9-5-5 weights reproduces the paper's PSNR within 0.02 dB.
import Foundation
import TestSupport
import XCTest

final class GoldenEvalTests: XCTestCase {
    /// TPAMI 2016 Table (9-5-5 ImageNet) and bicubic, mean Y-PSNR in dB.
    static let paper: [(set: String, scale: Int, bicubic: Double, srcnn: Double)] = [
        ("Set5", 2, 33.66, 36.66), ("Set5", 3, 30.39, 32.75), ("Set5", 4, 28.42, 30.49),
        ("Set14", 2, 30.23, 32.45), ("Set14", 3, 27.54, 29.30), ("Set14", 4, 26.00, 27.50),
    ]

    func testPaperNumbers() throws {
        var report: [String] = []
        for row in Self.paper {
            let weights = Paths.referenceWeights.appendingPathComponent("srcnn_9-5-5_ImageNet_x\(row.scale).safetensors")
            let set = Paths.data.appendingPathComponent(row.set)
            guard requireShared(weights), requireShared(set) else { return }
            let dir = try makeTempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            let json = dir.appendingPathComponent("r.json").path
            let r = try runSRCNN(["eval", "--set", set.path, "--scale", "\(row.scale)", "--weights", weights.path,
                                  "--json", json, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
            let means = obj["mean_psnr"] as! [Double]
            XCTAssertEqual(means[0], row.bicubic, accuracy: 0.02, "\(row.set) x\(row.scale) bicubic")
            XCTAssertEqual(means[1], row.srcnn, accuracy: 0.02, "\(row.set) x\(row.scale) SRCNN 9-5-5")
            let ssim = obj["mean_ssim"] as! [Double]
            XCTAssertGreaterThan(ssim[1], ssim[0], "SRCNN SSIM above bicubic")
            report.append(String(format: "%@ x%d: bicubic %.3f (paper %.2f), SRCNN %.3f (paper %.2f), SSIM %.4f / %.4f",
                                 row.set, row.scale, means[0], row.bicubic, means[1], row.srcnn, ssim[0], ssim[1]))
        }
        print(report.joined(separator: "\n"))
    }
}
