// The fast tiled forward pass against the plain reference: same numbers, no seams, cancellable.
import XCTest
@testable import SRCNN

func randomPlane(width: Int, height: Int, seed: UInt64) -> Plane {
    var rng = SplitMix64(seed: seed)
    return Plane(width: width, height: height, data: (0..<(width * height)).map { _ in Float(rng.nextUniform()) })
}

/// A random network with biases too, scaled so activations stay O(1).
func randomNetwork(_ kernels: [Int], _ filters: [Int], seed: UInt64) -> Network {
    var n = Network.random(kernels: kernels, filters: filters, seed: seed)
    var rng = SplitMix64(seed: seed ^ 0xABCD)
    for i in n.layers.indices {
        n.layers[i].bias = n.layers[i].bias.map { _ in Float(rng.nextUniform() - 0.5) * 0.2 }
    }
    return n
}

final class ForwardTests: XCTestCase {
    func testFastMatchesReferenceAllPlans() throws {
        // 9-5-5 exercises full (conv1) and rows (conv2); 9-1-5 exercises direct (conv2).
        for (ks, fs) in [([9, 5, 5], [16, 8]), ([9, 1, 5], [16, 8]), ([3, 3, 3, 3], [4, 5, 6]), ([1], [Int]())] {
            let net = randomNetwork(ks, fs, seed: 7)
            let img = randomPlane(width: 37, height: 29, seed: 3)
            let ref = net.forwardReference(img)
            for limit in [0, 100_000] {   // every layer as rows / every layer as one GEMM
                let fast = try PackedNetwork(net, fullLimit: limit, winogradTiles: [:], kernels: .openblas)
                    .forward(img, options: ForwardOptions(tileSize: 1000, threads: 1))
                XCTAssertLessThanOrEqual(fast.maxAbsDifference(ref), 1e-5, "\(ks) limit \(limit)")
            }
            for kf in [KernelFamily.avx512, .avx2] {
                guard CPUFeatures.supports(kf) else {
                    print("SKIP: this CPU does not run the \(kf) kernels; they are not tested here")
                    continue
                }
                let fast = try PackedNetwork(net, winogradTiles: [:], kernels: kf)
                    .forward(img, options: ForwardOptions(tileSize: 1000, threads: 1))
                XCTAssertLessThanOrEqual(fast.maxAbsDifference(ref), 1e-5, "\(ks) \(kf)")
            }
        }
    }

    func testWinogradMatchesReference() throws {
        // Every 3x3 and 5x5 layer (even conv1, Cin = 1) through each Winograd tile size the engine may use.
        for (ks, fs) in [([9, 5, 5], [16, 8]), ([3, 3, 3], [12, 6]), ([5, 3, 5], [8, 8]), ([3, 5, 3], [16, 32])] {
            let net = randomNetwork(ks, fs, seed: 17)
            for (w, h) in [(37, 29), (6, 5), (1, 1), (64, 3)] {
                let img = randomPlane(width: w, height: h, seed: 4)
                let ref = net.forwardReference(img)
                for m in [2, 3, 4] {
                    for kf in KernelFamily.allCases where CPUFeatures.supports(kf) {
                        let fast = try PackedNetwork(net, winogradTiles: [3: m, 5: m], winogradMinInputs: 1, kernels: kf)
                            .forward(img, options: ForwardOptions(tileSize: 16, threads: 2))
                        XCTAssertLessThanOrEqual(fast.maxAbsDifference(ref), 1e-5, "\(ks) \(w)x\(h) F(\(m)) \(kf)")
                    }
                }
            }
        }
    }

    func testTilesAreSeamless() throws {
        for kf in KernelFamily.allCases where CPUFeatures.supports(kf) {
            // 32/32 filters: conv2 takes the AVX-512 Winograd path where the CPU has it.
            for (ks, fs) in [([9, 5, 5], [16, 8]), ([9, 5, 5], [32, 32]), ([9, 3, 5], [16, 32])] {
                try checkSeamless(randomNetwork(ks, fs, seed: 11), kf)
            }
        }
    }

    func checkSeamless(_ net: Network, _ kf: KernelFamily) throws {
        let packed = PackedNetwork(net, winogradMinInputs: 1, kernels: kf)
        let img = randomPlane(width: 101, height: 67, seed: 5)   // 23 divides neither side
        let whole = try packed.forward(img, options: ForwardOptions(tileSize: 1000, threads: 1))
        XCTAssertLessThanOrEqual(whole.maxAbsDifference(net.forwardReference(img)), 1e-5, "\(net.architecture) \(kf)")
        for threads in [1, 2] {
            let tiled = try packed.forward(img, options: ForwardOptions(tileSize: 23, threads: threads))
            XCTAssertLessThanOrEqual(tiled.maxAbsDifference(whole), 1e-6, "\(net.architecture) \(kf) threads \(threads)")
        }
        // Tiles smaller than the receptive radius, and a tile that is a single row/column of the image.
        let tiny = try packed.forward(img, options: ForwardOptions(tileSize: 8, threads: 2))
        XCTAssertLessThanOrEqual(tiny.maxAbsDifference(whole), 1e-6, "\(net.architecture) \(kf) tile 8")
    }

    func testTinyImagesWork() throws {
        let net = randomNetwork([9, 5, 5], [8, 4], seed: 2)
        for (w, h) in [(1, 1), (1, 7), (5, 1), (2, 3)] {
            let img = randomPlane(width: w, height: h, seed: UInt64(w * 10 + h))
            let fast = try net.forward(img)
            XCTAssertLessThanOrEqual(fast.maxAbsDifference(net.forwardReference(img)), 1e-5, "\(w)x\(h)")
        }
    }

    func testCancelStopsAndProgressReachesOne() throws {
        let net = randomNetwork([9, 5, 5], [8, 4], seed: 2)
        let img = randomPlane(width: 64, height: 64, seed: 1)
        let flag = CancelFlag()
        flag.cancel()
        XCTAssertThrowsError(try net.forward(img, options: ForwardOptions(tileSize: 16), cancel: flag)) { e in
            XCTAssertEqual(e as? SRCNNError, .cancelled)
        }
        let seen = Locked<[Double]>([])
        _ = try net.forward(img, options: ForwardOptions(tileSize: 16, threads: 2), progress: { f in seen.mutate { $0.append(f) } })
        XCTAssertEqual(seen.value.count, 16)
        XCTAssertEqual(seen.value.max(), 1.0)
    }
}

final class Locked<T>: @unchecked Sendable {
    private var v: T
    private let lock = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}
