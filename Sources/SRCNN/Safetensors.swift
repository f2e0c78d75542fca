// Safetensors: a small reader/writer for the safetensors format (Hugging Face), no dependencies (JSON through JSON.swift).
//
// Layout: 8-byte little-endian UInt64 header length N, N bytes of UTF-8 JSON
//   {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
// with offsets relative to the first byte after the header, then the raw little-endian tensor data.
// Every malformed input throws `SRCNNError.invalidWeights` with one line; nothing here traps on bad bytes.
public struct Safetensors: Sendable {
    /// The element types the format names. Only the float ones convert to `[Float]`.
    public enum DType: String, Sendable, CaseIterable {
        case BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64

        public var byteSize: Int {
            switch self {
            case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3: return 1
            case .I16, .U16, .F16, .BF16: return 2
            case .I32, .U32, .F32: return 4
            case .F64, .I64, .U64: return 8
            }
        }

        /// Whether `floats(_:)` can convert this type.
        public var isConvertibleToFloat: Bool { [.F32, .F16, .BF16, .F64].contains(self) }
    }

    public struct TensorInfo: Equatable, Sendable {
        public var dtype: DType
        public var shape: [Int]
        /// Where the tensor's bytes sit in `bytes` (absolute, i.e. already offset past the header).
        public var byteRange: Range<Int>
        /// Number of elements (product of `shape`; 1 for a scalar).
        public var count: Int
    }

    /// Largest header we accept (the Python library uses the same 100 MB limit).
    public static let maxHeaderLength = 100_000_000

    public let metadata: [String: String]
    public let tensors: [String: TensorInfo]
    /// The whole file.
    public let bytes: [UInt8]
    /// Bytes of the JSON header (the data section starts at 8 + headerLength).
    public let headerLength: Int

    /// Tensor names in sorted order.
    public var names: [String] { tensors.keys.sorted() }

    /// Parses and checks the header; tensor data is only range-checked here, converted by `floats(_:)`.
    public init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw SRCNNError.invalidWeights("not a safetensors file: \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let available = bytes.count - 8
        guard n <= UInt64(Safetensors.maxHeaderLength), n <= UInt64(available) else {
            throw SRCNNError.invalidWeights("not a safetensors file: header length \(n) is absurd (file has \(available) bytes after the length, limit \(Safetensors.maxHeaderLength))")
        }
        let headerLength = Int(n)
        guard headerLength >= 2 else {
            throw SRCNNError.invalidWeights("not a safetensors file: header length \(headerLength) is too short for a JSON object")
        }
        self.headerLength = headerLength
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        let headerBytes = bytes[8..<dataStart]

        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw SRCNNError.invalidWeights("safetensors header is not valid UTF-8")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(headerBytes)
        } catch {
            throw SRCNNError.invalidWeights("safetensors header is not valid JSON")
        }
        guard case .object(let top) = json else {
            throw SRCNNError.invalidWeights("safetensors header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let raw = top["__metadata__"] {
            guard case .object(let dict) = raw else {
                throw SRCNNError.invalidWeights("safetensors __metadata__ is not an object of strings")
            }
            for (k, v) in dict {
                guard case .string(let s) = v else {
                    throw SRCNNError.invalidWeights("safetensors __metadata__ value for \"\(k)\" is not a string")
                }
                metadata[k] = s
            }
        }

        var tensors: [String: TensorInfo] = [:]
        for name in top.keys.sorted() where name != "__metadata__" {
            tensors[name] = try Safetensors.parseEntry(name: name, top[name]!, dataStart: dataStart, dataLength: dataLength)
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    /// As the reference parser: the tensors' bytes tile the data section exactly, in offset order, from its start
    /// to the end of the file (no overlap, no gap, nothing after the last tensor). Loaders call it after their own
    /// checks, so a file with a missing tensor says that rather than "gap".
    public func checkLayout() throws {
        var cursor = 8 + headerLength
        let inOrder = tensors.sorted { ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key) }
        for (name, t) in inOrder {
            guard t.byteRange.lowerBound == cursor else {
                let what = t.byteRange.lowerBound < cursor ? "overlaps the tensor before it" : "leaves a gap before it"
                throw SRCNNError.invalidWeights("tensor \"\(name)\": data_offsets \(what)")
            }
            cursor = t.byteRange.upperBound
        }
        guard cursor == bytes.count else {
            throw SRCNNError.invalidWeights("\(bytes.count - cursor) bytes after the last tensor's data (trailing bytes)")
        }
    }

    private static func parseEntry(name: String, _ raw: JSONValue, dataStart: Int, dataLength: Int) throws -> TensorInfo {
        func bad(_ why: String) -> SRCNNError { .invalidWeights("tensor \"\(name)\": \(why)") }
        guard case .object(let entry) = raw else { throw bad("entry is not an object") }
        guard let dtypeRaw = entry["dtype"] else { throw bad("entry has no \"dtype\"") }
        guard case .string(let dtypeName) = dtypeRaw else { throw bad("\"dtype\" is not a string") }
        guard let dtype = DType(rawValue: dtypeName) else { throw bad("unsupported dtype \"\(dtypeName)\"") }
        guard let shapeRaw = entry["shape"] else { throw bad("entry has no \"shape\"") }
        guard let shape = jsonIntArray(shapeRaw), shape.allSatisfy({ $0 >= 0 }) else {
            throw bad("\"shape\" is not a list of non-negative integers")
        }
        guard let offsetsRaw = entry["data_offsets"] else { throw bad("entry has no \"data_offsets\"") }
        guard let offsets = jsonIntArray(offsetsRaw), offsets.count == 2, offsets[0] >= 0, offsets[1] >= 0 else {
            throw bad("\"data_offsets\" is not a pair of non-negative integers")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw bad("data_offsets [\(begin), \(end)] run backwards") }
        guard end <= dataLength else {
            throw bad("data_offsets [\(begin), \(end)] run past the end of the data (\(dataLength) bytes)")
        }
        var count = 1
        if !shape.contains(0) {
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw bad("shape \(shape) is too large") }
                count = p
            }
        } else {
            count = 0
        }
        let (size, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o else { throw bad("shape \(shape) is too large") }
        guard end - begin == size else {
            throw bad("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(size)")
        }
        return TensorInfo(dtype: dtype, shape: shape, byteRange: (dataStart + begin)..<(dataStart + end), count: count)
    }

    /// A JSON array of integers (no fractions, exponents or booleans, within Int range); nil otherwise.
    private static func jsonIntArray(_ v: JSONValue) -> [Int]? {
        guard case .array(let arr) = v else { return nil }
        var out: [Int] = []
        out.reserveCapacity(arr.count)
        for e in arr {
            guard case .integer(let i) = e else { return nil }
            out.append(i)
        }
        return out
    }

    /// The values of tensor `name` as Float (F32 exact, F16/BF16 widened exactly, F64 rounded).
    public func floats(_ name: String) throws -> [Float] {
        guard let t = tensors[name] else { throw SRCNNError.invalidWeights("\(name) missing") }
        guard t.dtype.isConvertibleToFloat else {
            throw SRCNNError.invalidWeights("\(name) has unsupported dtype \(t.dtype.rawValue) (need F32, F16, BF16 or F64)")
        }
        let lo = t.byteRange.lowerBound
        var out = [Float](repeating: 0, count: t.count)
        bytes.withUnsafeBufferPointer { b in
            switch t.dtype {
            case .F32:
                for i in 0..<t.count {
                    let p = lo + 4 * i
                    let bits = UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
                    out[i] = Float(bitPattern: bits)
                }
            case .F16:
                for i in 0..<t.count {
                    let p = lo + 2 * i
                    out[i] = Safetensors.halfToFloat(UInt16(b[p]) | UInt16(b[p + 1]) << 8)
                }
            case .BF16:
                for i in 0..<t.count {
                    let p = lo + 2 * i
                    out[i] = Float(bitPattern: (UInt32(b[p]) | UInt32(b[p + 1]) << 8) << 16)
                }
            case .F64:
                for i in 0..<t.count {
                    let p = lo + 8 * i
                    var bits: UInt64 = 0
                    for j in 0..<8 { bits |= UInt64(b[p + j]) << (8 * UInt64(j)) }
                    out[i] = Float(Double(bitPattern: bits))
                }
            default:
                break
            }
        }
        return out
    }

    /// IEEE 754 binary16 bits -> Float, exactly (subnormals, infinities, NaN payloads kept).
    /// Done by hand so it works where `Float16` is unavailable (macOS on Intel).
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            // Zero or subnormal: mant * 2^-24, exact in Float.
            let v = Float(mant) * 0x1p-24
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mant << 13) }
        return Float(bitPattern: sign | (exp + 112) << 23 | mant << 13)
    }

    /// One tensor to write.
    public struct Tensor: Sendable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// A safetensors file of F32 tensors in sorted name order, with `metadata`; the header is padded
    /// with spaces to a multiple of 8 bytes, as the Python library does.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(jsonQuote($0)):\(jsonQuote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            precondition(t.shape.reduce(1, *) == t.values.count,
                         "Safetensors.encode: \(name) has \(t.values.count) values for shape \(t.shape)")
            let size = 4 * t.values.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonQuote(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        let n = UInt64(headerBytes.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out += headerBytes
        for name in names {
            for v in tensors[name]!.values {
                let bits = v.bitPattern
                out.append(UInt8(truncatingIfNeeded: bits))
                out.append(UInt8(truncatingIfNeeded: bits >> 8))
                out.append(UInt8(truncatingIfNeeded: bits >> 16))
                out.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
        }
        return out
    }

    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped; UTF-8 kept).
    static func jsonQuote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
