import FoundationEssentials
import KdumpDecision
import KdumpJSON
import KdumpWire

extension JSONWriter {
    /// A timestamp member in RFC 3339, formatted straight into the output.
    mutating func member(_ key: some CodingKey, _ time: WallClockTime) {
        self.key(key)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: WallClockTime.rfc3339Length) { buffer in
            let length = time.formatRFC3339(into: buffer)
            value(plainASCII: UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }
}
