// Winograd convolution of one channel-last patch, for the trainer: the inference path's 8 x 8-tile layers behind
// a small public type (the trainer's weights change every step, so it rebuilds one per step).

/// A valid 3 x 3 (F(6x6, 3x3)) or 5 x 5 (F(4x4, 5x5)) correlation of channel-last patches with the AVX-512
/// family's Winograd kernels. Inputs: Cin a multiple of 16; Cout a multiple of 32 (the GEMM's column block).
public struct PatchWinograd: Sendable {
    let layer: VectorWinogradLayer

    /// Output tile side m of a kernel's 8 x 8 input tiles: the output is computed in whole m x m tiles.
    static func tileSide(kernel: Int) -> Int { kernel == 3 ? 6 : 4 }

    /// Whether a layer of this shape runs here on `family` (nil from `init` otherwise).
    public static func supports(kernel: Int, inChannels: Int, outChannels: Int, family: KernelFamily) -> Bool {
        family == .avx512 && CPUFeatures.supports(.avx512) && (kernel == 3 || kernel == 5)
            && inChannels % VectorWinogradLayer.cinMultiple(family) == 0
            && outChannels % VectorWinogradLayer.coutMultiple(family) == 0
    }

    /// Rows (and columns) of input the tiles read for `outSide` outputs: whole tiles plus the kernel's overlap.
    public static func inputSide(outSide: Int, kernel: Int) -> Int {
        let m = tileSide(kernel: kernel)
        return (outSide + m - 1) / m * m + kernel - 1
    }

    /// `conv`'s weights (Cout, Cin, k, k); its bias is not used (the caller adds it).
    public init?(_ conv: ConvLayer, family: KernelFamily) {
        guard PatchWinograd.supports(kernel: conv.kernel, inChannels: conv.inChannels,
                                     outChannels: conv.outChannels, family: family) else { return nil }
        layer = VectorWinogradLayer(conv, m: PatchWinograd.tileSide(kernel: conv.kernel), family: family)
    }

    /// out(y, x, o) = Σ_{c, r, q} input(y + r, x + q, c) · w(o, c, r, q) for y, x < outSide. `input`: channel-last,
    /// pixel stride Cin, row stride `rowStride`, `inputSide(outSide:kernel:)` rows and columns readable. Returns the
    /// output (channel-last, pixel stride Cout, whole tiles) and its row stride, valid until the workspace's next run.
    public func run(_ input: UnsafePointer<Float>, rowStride: Int, outSide: Int, workspace: PatchWinogradWorkspace)
        -> (pointer: UnsafePointer<Float>, rowStride: Int) {
        let o = layer.run(input, rowStride: rowStride, ho: outSide, wo: outSide, workspace: workspace.winograd,
                          output: workspace.output)
        return (UnsafePointer(o.pointer), o.rowStride)
    }
}

/// Scratch memory of `PatchWinograd.run`, one per worker thread.
public final class PatchWinogradWorkspace: @unchecked Sendable {
    let winograd = WinogradWorkspace(), output = ScratchBuffer()
    public init() {}
}
