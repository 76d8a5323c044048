/// Writes compact JSON into a byte array, member by member.
///
/// Written by hand because the daemon encodes an answer for every fence request and the whole
/// table at every episode start: FoundationEssentials' `JSONEncoder` builds a tree of boxed
/// values and dictionaries, then sorts and serialises it, and even a streaming `Encoder` pays
/// for Codable's boxed containers and dynamic dispatch on every value. A `wait` answer took
/// 8.3 µs with `JSONEncoder`, 6.6 µs with a streaming `Encoder` and takes 0.65 µs here (release
/// build; see Documentation/performance.md). No package this project may depend on writes JSON
/// without Codable. Reading JSON stays with FoundationEssentials' `JSONDecoder`.
///
/// Members are written in the order of the calls; commas are placed by the writer. Strings are
/// escaped as RFC 8259 requires (`"`, `\` and control characters); `/` and non-ASCII are written
/// as they are. JSON has no NaN or infinity: a non-finite number is written as `null`.
public struct JSONWriter {
    /// The JSON text so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init() { bytes.reserveCapacity(256) }

    // MARK: Structure

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a member's key; its value follows.
    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a member's key from a coding key, so that the names a type decodes are the
    /// names it writes.
    public mutating func key(_ key: some CodingKey) { self.key(key.stringValue) }

    // MARK: Values

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    public mutating func value(_ text: String) {
        separate()
        appendQuoted(text)
        needsComma = true
    }

    public mutating func value(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func value(_ number: Int) { value(Int64(number)) }

    public mutating func value(_ number: Int64) {
        separate()
        appendDecimal(negative: number < 0, magnitude: number.magnitude)
        needsComma = true
    }

    public mutating func value(_ number: UInt64) {
        separate()
        appendDecimal(negative: false, magnitude: number)
        needsComma = true
    }

    /// Writes text that needs no escaping: printable ASCII other than `"` and `\` (a formatted
    /// timestamp, say), which the caller vouches for.
    public mutating func value(plainASCII text: UnsafeBufferPointer<UInt8>) {
        assert(text.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: text)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func value(_ number: Double) {
        guard number.isFinite else { return null() }
        separate()
        // Integral values without ".0", as JSONEncoder writes them.
        if number == number.rounded(), abs(number) < 1e15 {
            let integral = Int64(number)
            appendDecimal(negative: integral < 0, magnitude: integral.magnitude)
        } else {
            bytes.append(contentsOf: number.description.utf8)
        }
        needsComma = true
    }

    /// Writes `object` as a JSON object.
    public mutating func value(_ object: some JSONObjectWritable) {
        beginObject()
        object.writeMembers(to: &self)
        endObject()
    }

    /// Writes a JSON array of `elements`.
    public mutating func array<Element>(_ elements: some Sequence<Element>, _ write: (inout Self, Element) -> Void) {
        beginArray()
        for element in elements { write(&self, element) }
        endArray()
    }

    // MARK: Members

    public mutating func member(_ key: some CodingKey, _ text: String) {
        self.key(key)
        value(text)
    }

    /// A string member, `null` when absent.
    public mutating func member(_ key: some CodingKey, _ text: String?) {
        self.key(key)
        if let text { value(text) } else { null() }
    }

    public mutating func member(_ key: some CodingKey, _ flag: Bool) {
        self.key(key)
        value(flag)
    }

    public mutating func member(_ key: some CodingKey, _ number: Int) {
        self.key(key)
        value(number)
    }

    public mutating func member(_ key: some CodingKey, _ number: Int64) {
        self.key(key)
        value(number)
    }

    public mutating func member(_ key: some CodingKey, _ number: UInt64) {
        self.key(key)
        value(number)
    }

    public mutating func member(_ key: some CodingKey, _ number: Double) {
        self.key(key)
        value(number)
    }

    /// A number member, `null` when absent.
    public mutating func member(_ key: some CodingKey, _ number: Double?) {
        self.key(key)
        if let number { value(number) } else { null() }
    }

    public mutating func member(_ key: some CodingKey, _ object: some JSONObjectWritable) {
        self.key(key)
        value(object)
    }

    /// An object member, `null` when absent.
    public mutating func member(_ key: some CodingKey, _ object: (some JSONObjectWritable)?) {
        self.key(key)
        if let object { value(object) } else { null() }
    }

    /// A string-valued enumeration member (`"state":"dumping"`).
    public mutating func member(_ key: some CodingKey, _ raw: some RawRepresentable<String>) {
        member(key, raw.rawValue)
    }

    /// An array of strings.
    public mutating func member(_ key: some CodingKey, _ texts: [String]) {
        self.key(key)
        array(texts) { $0.value($1) }
    }

    /// An array of objects.
    public mutating func member(_ key: some CodingKey, _ objects: [some JSONObjectWritable]) {
        self.key(key)
        array(objects) { $0.value($1) }
    }

    // MARK: Plumbing

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Decimal digits without a String in between (nanosecond timestamps have 19 digits, too
    /// many for a String without a heap allocation).
    private mutating func appendDecimal(negative: Bool, magnitude: UInt64) {
        if negative { bytes.append(UInt8(ascii: "-")) }
        var magnitude = magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escape: copy it whole.
        let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case UInt8(ascii: "\n"): appendEscape(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): appendEscape(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): appendEscape(UInt8(ascii: "t"))
            case 0..<0x20:
                let hexDigits: StaticString = "0123456789abcdef"
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hexDigits.utf8Start[Int(byte >> 4)])
                bytes.append(hexDigits.utf8Start[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ letter: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(letter)
    }
}
