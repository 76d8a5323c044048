import FoundationEssentials
import FuzzSupport
import KdumpJSON

/// The JSON writer: any text (the input read as UTF-8, invalid sequences repaired) written as
/// a string, an object key and an array element reads back unchanged with JSONDecoder, and the
/// output is one line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONWriter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: Fuzz.bytes(data, size), as: UTF8.self)
    var writer = JSONWriter()
    writer.beginObject()
    writer.key(text)
    writer.array([text, ""]) { $0.value($1) }
    writer.endObject()
    Fuzz.require(!writer.bytes.contains(0x0A) && !writer.bytes.contains(0x0D), "the output spans lines")
    guard let decoded = try? JSONDecoder().decode([String: [String]].self, from: Data(writer.bytes)) else {
        Fuzz.require(false, "the output is not JSON: \(String(decoding: writer.bytes, as: UTF8.self))")
        return 0
    }
    Fuzz.require(decoded == [text: [text, ""]], "the text changed on a round trip")
    return 0
}
