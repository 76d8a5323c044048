import Glibc
import KdumpAdmission
import KdumpConfiguration
import KdumpControl
import KdumpDecision
import KdumpState
import KdumpWire

extension MonotonicInstant {
    /// The time from this reading to now.
    var durationUntilNow: Duration { SystemClock.now().monotonic.since(self) }
}
