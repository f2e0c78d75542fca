// Optimisers over the flat parameter buffer: Adam, and SGD with momentum and per-layer learning rates.
import Foundation

public struct OptimizerConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case adam, sgd }
    public var kind: Kind
    /// Learning rate of every layer but the last.
    public var lr: Double
    /// Learning rate of the last layer (the paper: 1e-5 with 1e-4 elsewhere); nil = `lr`.
    public var lastLayerLR: Double?
    public var momentum: Double = 0.9
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8

    public init(kind: Kind, lr: Double, lastLayerLR: Double? = nil) {
        self.kind = kind; self.lr = lr; self.lastLayerLR = lastLayerLR
    }
    public static let adam = OptimizerConfig(kind: .adam, lr: 3e-4)
    public static let paperSGD = OptimizerConfig(kind: .sgd, lr: 1e-4, lastLayerLR: 1e-5)

    public var description: String {
        switch kind {
        case .adam: return "Adam lr \(lr)" + (lastLayerLR.map { " (last layer \($0))" } ?? "")
        case .sgd: return "SGD momentum \(momentum) lr \(lr)" + (lastLayerLR.map { " (last layer \($0))" } ?? "")
        }
    }
}

/// Optimiser state: Adam keeps m and v, SGD keeps the velocity in `m` (v empty); `t` counts steps.
public final class Optimizer {
    public let config: OptimizerConfig
    public var m: [Float]
    public var v: [Float]
    public var t: Int = 0
    /// Learning rate per parameter range (layer by layer).
    let ranges: [(range: Range<Int>, lr: Double)]

    public init(_ config: OptimizerConfig, arch: Architecture) {
        self.config = config
        let n = arch.parameterCount
        m = [Float](repeating: 0, count: n)
        v = config.kind == .adam ? [Float](repeating: 0, count: n) : []
        let views = arch.views
        ranges = views.enumerated().map { i, view in
            (view.weightOffset..<view.end, i == views.count - 1 ? (config.lastLayerLR ?? config.lr) : config.lr)
        }
    }

    /// One update of `params` from `grads` (same flat layout).
    public func step(params: inout [Float], grads: [Float]) {
        t += 1
        params.withUnsafeMutableBufferPointer { pp in
            grads.withUnsafeBufferPointer { gp in
                m.withUnsafeMutableBufferPointer { mp in
                    switch config.kind {
                    case .sgd:
                        // Caffe's form: v = momentum * v - lr * g; w += v.
                        let mu = Float(config.momentum)
                        for (r, lr) in ranges {
                            let a = Float(lr)
                            for i in r {
                                mp[i] = mu * mp[i] - a * gp[i]
                                pp[i] += mp[i]
                            }
                        }
                    case .adam:
                        v.withUnsafeMutableBufferPointer { vp in
                            let b1 = Float(config.beta1), b2 = Float(config.beta2), eps = Float(config.epsilon)
                            let c1 = 1 - pow(config.beta1, Double(t)), c2 = 1 - pow(config.beta2, Double(t))
                            for (r, lr) in ranges {
                                let a = Float(lr / c1), s2 = Float(1 / c2.squareRoot())
                                for i in r {
                                    let g = gp[i]
                                    mp[i] = b1 * mp[i] + (1 - b1) * g
                                    vp[i] = b2 * vp[i] + (1 - b2) * g * g
                                    pp[i] -= a * mp[i] / ((vp[i]).squareRoot() * s2 + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
