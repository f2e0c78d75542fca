// The plain reference forward pass: direct loops, replicate padding per layer. Slow, obviously right.

extension Network {
    /// Runs every layer at full size with replicate ("edge") padding of `kernel/2` per side, ReLU between
    /// layers and a linear last layer, in Double. The fast path is tested against this.
    public func forwardReference(_ input: Plane) -> Plane {
        let h = input.height, w = input.width
        var maps: [[Double]] = [input.data.map(Double.init)]      // (C, h*w)
        for (n, l) in layers.enumerated() {
            let p = l.radius
            var out = [[Double]](repeating: [Double](repeating: 0, count: h * w), count: l.outChannels)
            for o in 0..<l.outChannels {
                for y in 0..<h {
                    for x in 0..<w {
                        var acc = Double(l.bias[o])
                        for c in 0..<l.inChannels {
                            for r in 0..<l.kernel {
                                let yy = min(h - 1, max(0, y + r - p))
                                for s in 0..<l.kernel {
                                    let xx = min(w - 1, max(0, x + s - p))
                                    acc += Double(l.weight(o, c, r, s)) * maps[c][yy * w + xx]
                                }
                            }
                        }
                        out[o][y * w + x] = n == layers.count - 1 ? acc : max(0, acc)
                    }
                }
            }
            maps = out
        }
        return Plane(width: w, height: h, data: maps[0].map { Float($0) })
    }
}
