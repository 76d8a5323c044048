import KdumpState
import KdumpWire
import Logging

/// The `auth` setting (Documentation/design.md §7): which protocol versions change the table.
public enum AuthMode: String, Sendable, Equatable, CaseIterable {
    /// Version 1 as it always was; signed messages are not read (they count `long`).
    case none
    /// Version 1 as before, and signed messages verified; status shows which hosts signed.
    case optional
    /// Only verified signed messages; version 1 counts `unauthenticated` and never confirms.
    case required
}
