// Every kernel family this CPU runs against the plain reference on the shipped models' layer shapes; the choice.
import Foundation
import SRCNN
import XCTest

final class KernelFamilyTests: XCTestCase {
    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Weights")

    static func shipped() throws -> [(String, SRModel)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: weights.path)
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertTrue(names.contains("srcnn-x2.safetensors") && names.contains("fsrcnn-x3.safetensors"), "\(names)")
        return try names.map { ($0, try SRModel(safetensors: Array(Data(contentsOf: weights.appendingPathComponent($0))))) }
    }

    func families() -> [KernelFamily] {
        for f in KernelFamily.allCases where !CPUFeatures.supports(f) {
            print("SKIP: this CPU does not run the \(f) kernels; they are not tested here")
        }
        return CPUFeatures.supportedFamilies
    }

    /// The shipped SRCNN (9-5-5 64/32: a channel-last first layer, Winograd 64 -> 32, a 1-output last layer) and
    /// FSRCNN (56/12 channels, stride 2/3/4) files: each family within 1e-4 of the reference, on sizes that fill no
    /// block evenly, whole and tiled; threads change nothing in the vector families.
    func testEveryFamilyMatchesTheReferenceOnTheShippedModels() throws {
        defer { CPUFeatures.force(nil) }
        let img = randomPlane(width: 53, height: 37, seed: 21)
        for (name, model) in try Self.shipped() {
            switch model {
            case .srcnn(let net):
                let ref = net.forwardReference(img)
                for kf in families() {
                    let packed = PackedNetwork(net, kernels: kf)
                    let whole = try packed.forward(img, options: ForwardOptions(tileSize: 1000, threads: 1))
                    XCTAssertLessThanOrEqual(whole.maxAbsDifference(ref), 1e-4, "\(name) \(kf)")
                    let tiled = try packed.forward(img, options: ForwardOptions(tileSize: 24, threads: 2))
                    if kf == .openblas {
                        XCTAssertLessThanOrEqual(tiled.maxAbsDifference(whole), 1e-6, "\(name) \(kf) tiled")
                    } else {
                        XCTAssertEqual(tiled.data, whole.data, "\(name) \(kf): tiles and threads change nothing")
                    }
                }
            case .fsrcnn(let f):
                let lr = randomPlane(width: 29, height: 13, seed: 22)
                let ref = f.forwardReference(lr)
                for kf in families() {
                    CPUFeatures.force(kf)
                    let one = try f.forward(lr, threads: 1), two = try f.forward(lr, threads: 2)
                    XCTAssertLessThanOrEqual(zip(one.data, ref.data).map { abs($0 - $1) }.max()!, 1e-4, "\(name) \(kf)")
                    XCTAssertEqual(one.data, two.data, "\(name) \(kf): threads change nothing")
                }
            }
        }
    }

    /// The vector families agree with each other to rounding (same products, different summation blocks).
    func testVectorFamiliesAgree() throws {
        let fams = families().filter { $0 != .openblas }
        guard fams.count > 1 else { return print("SKIP: fewer than two vector families on this CPU") }
        for (ks, fs) in [([9, 5, 5], [64, 32]), ([9, 1, 5], [64, 32]), ([9, 3, 5], [128, 64]), ([5, 3, 3], [24, 16])] {
            let net = randomNetwork(ks, fs, seed: 5)
            let img = randomPlane(width: 47, height: 31, seed: 6)
            let outs = try fams.map {
                try PackedNetwork(net, kernels: $0).forward(img, options: ForwardOptions(tileSize: 40, threads: 2))
            }
            XCTAssertLessThanOrEqual(outs[0].maxAbsDifference(outs[1]), 1e-5, "\(ks) \(fams)")
        }
    }

    /// One place says what this CPU runs: the portable family always, AVX2 wherever AVX-512 is, the best first,
    /// and a forced family this CPU runs is used.
    func testTheChoice() {
        defer { CPUFeatures.force(nil) }
        XCTAssertTrue(CPUFeatures.supports(.openblas))
        if CPUFeatures.hasAVX512 { XCTAssertTrue(CPUFeatures.hasAVX2, "AVX-512 CPUs have AVX2") }
        XCTAssertEqual(CPUFeatures.bestKernels, CPUFeatures.supportedFamilies[0])
        XCTAssertEqual(CPUFeatures.supportedFamilies.last, .openblas)
        print("kernel families on this CPU: \(CPUFeatures.supportedFamilies.map(\.rawValue))")
        for f in CPUFeatures.supportedFamilies {
            CPUFeatures.force(f)
            XCTAssertEqual(CPUFeatures.bestKernels, f)
        }
    }
}
