import FuzzSupport
import KdumpWire

/// The key-file parser against an oracle: exactly 64 hexadecimal digits and an optional
/// newline are a key, with the bytes they spell; anything else is refused with a one-line error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let digits = bytes.last == UInt8(ascii: "\n") ? Array(bytes.dropLast()) : bytes
    let hex = Array("0123456789abcdefABCDEF".utf8)
    let valid = digits.count == 64 && digits.allSatisfy(hex.contains)
    do {
        let key = try AuthKey.parse(bytes, path: "fuzz")
        Fuzz.require(valid, "\(bytes) accepted")
        let lower = digits.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F") ? $0 + 32 : $0 }
        Fuzz.require(Array(key.hexText.utf8) == lower, "\(bytes) read as \(key.hexText)")
    } catch {
        Fuzz.require(!valid, "\(bytes) refused: \(error)")
        Fuzz.requireOneLine(error)
    }
    return 0
}
