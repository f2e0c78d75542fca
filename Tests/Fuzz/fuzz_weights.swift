// libFuzzer harness: a weights file (safetensors container, then the network's own checks) on arbitrary bytes;
// whatever loads must also survive its re-encoding and the derived sizes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWeights(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let net = try? Network(safetensors: bytes) else { return 0 }
    _ = net.receptiveRadius + net.parameterCount + net.flopsPerPixel
    // A loaded network re-encodes into a file that loads to the same network.
    guard let again = try? Network(safetensors: net.safetensorsBytes()), again == net else {
        fatalError("a loaded network does not survive its own re-encoding")
    }
    return 0
}
