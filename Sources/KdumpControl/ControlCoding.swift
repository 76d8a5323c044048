import FoundationEssentials
import KdumpJSON
import KdumpWire

/// JSON encoding shared by both ends: compact, one object per line, members in the order each
/// type writes them (see `JSONWriter`).
public enum ControlCoding {
    public static func line(_ value: some JSONObjectWritable) -> [UInt8] { value.jsonLine() }

    public static func decode<T: Decodable>(_ type: T.Type, from line: some Collection<UInt8>) throws -> T {
        try JSONDecoder().decode(type, from: Data(line))
    }
}
