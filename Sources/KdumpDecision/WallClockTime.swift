/// A wall-clock time, nanoseconds since the Unix epoch, for showing times to people.
public struct WallClockTime: Hashable, Comparable, Sendable {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T23:52:15.123Z`.
    ///
    /// Formatted here rather than with `Date.ISO8601FormatStyle`, whose `Double` seconds turn
    /// `.123` into `.122` for current dates: times in status output must round-trip exactly.
    public var rfc3339: String {
        String(unsafeUninitializedCapacity: Self.rfc3339Length) { formatRFC3339(into: $0) }
    }

    /// Length of ``rfc3339`` for every year from 1000 to 9999 (a state file's 64-bit
    /// nanoseconds span 1677 to 2262).
    public static let rfc3339Length = 24

    /// Writes ``rfc3339`` into `buffer` (at least ``rfc3339Length`` bytes); returns the length.
    public func formatRFC3339(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let milliseconds = nanosecondsSinceEpoch.floorDivided(by: 1_000_000)
        let seconds = milliseconds.floorDivided(by: 1000)
        let millis = milliseconds - seconds * 1000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        // Days to civil date: Howard Hinnant's algorithm.
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // Written digit by digit into one buffer: this runs for every row of every answer and
        // twice per host in each state-file write (string interpolation made it 1 µs).
        var index = 0
        func put(_ value: Int64, width: Int) {
            var value = value
            var digits = 0
            var divisor: Int64 = 1
            while digits < width - 1 || value / divisor >= 10 {
                divisor *= 10
                digits += 1
            }
            while divisor > 0 {
                buffer[index] = UInt8(ascii: "0") + UInt8(value / divisor)
                value %= divisor
                divisor /= 10
                index += 1
            }
        }
        func put(_ character: Unicode.Scalar) {
            buffer[index] = UInt8(ascii: character)
            index += 1
        }
        put(year, width: 4)
        put("-")
        put(month, width: 2)
        put("-")
        put(day, width: 2)
        put("T")
        put(secondOfDay / 3600, width: 2)
        put(":")
        put(secondOfDay / 60 % 60, width: 2)
        put(":")
        put(secondOfDay % 60, width: 2)
        put(".")
        put(millis, width: 3)
        put("Z")
        return index
    }
}
