import KdumpDecision
import KdumpWire

extension Int {
    /// `self + other`, or `Int.max` where that would overflow: a counter restored from a file
    /// must never trap.
    func addingClamped(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
