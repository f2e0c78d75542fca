// libFuzzer harness: a weights file of either family (safetensors container, the family's own checks) on arbitrary
// bytes; whatever loads must also survive its re-encoding and the derived sizes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWeights(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let model = try? SRModel(safetensors: bytes) else { return 0 }
    switch model {
    case .srcnn(let net): _ = net.receptiveRadius + net.parameterCount + net.flopsPerPixel
    case .fsrcnn(let m): _ = m.bodyRadius + m.parameterCount + m.macsPerInputPixel + m.deconvPadding
    }
    _ = model.description
    // A loaded model re-encodes into a file that loads to the same model.
    guard let again = try? SRModel(safetensors: model.safetensorsBytes()), again == model else {
        fatalError("a loaded model does not survive its own re-encoding")
    }
    return 0
}
