/// A value written as a JSON object. It writes its members only, so that an envelope can
/// flatten a payload's members into its own object.
public protocol JSONObjectWritable {
    func writeMembers(to writer: inout JSONWriter)
}

extension JSONObjectWritable {
    /// The object as one line of JSON, newline included.
    public func jsonLine() -> [UInt8] {
        var writer = JSONWriter()
        writer.value(self)
        var bytes = writer.bytes
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
