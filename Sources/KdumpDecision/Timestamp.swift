/// One reading of both clocks, taken together when a datagram arrives or a request starts.
public struct Timestamp: Hashable, Sendable {
    public var monotonic: MonotonicInstant
    public var wall: WallClockTime

    public init(monotonic: MonotonicInstant, wall: WallClockTime) {
        self.monotonic = monotonic
        self.wall = wall
    }
}
