import FuzzSupport
import KdumpConfiguration

/// kdump-watchd.conf: any text either parses, the same way twice, or fails with one line that
/// names the file and line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Fuzz.bytes(data, size), as: UTF8.self)
    do {
        let configuration = try ConfigurationParser.parse(fileText: text, fileName: "fuzz.conf", overrides: [])
        let again = try ConfigurationParser.parse(fileText: text, fileName: "fuzz.conf", overrides: [])
        Fuzz.require(configuration == again, "the same text parsed into two configurations")
    } catch {
        Fuzz.requireOneLine(error)
        Fuzz.require(error.origin.hasPrefix("fuzz.conf:"), "error without its file and line: \(error)")
    }
    return 0
}
