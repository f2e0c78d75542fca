// libFuzzer harness: the engine's strict JSON reader (safetensors headers) on arbitrary bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let value = try? JSONValue.parse(bytes), case .object(let o) = value { _ = o.count }
    return 0
}
