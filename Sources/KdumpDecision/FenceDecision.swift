/// The fence decision (Documentation/design.md §3): the one rule that says whether a recorded
/// message may confirm a fence request.
///
/// Every path that answers "fenced" goes through ``confirms(lastMessage:requestedAt:maxAge:)``
/// and, for a signed message, ``confirms(sentAt:requestedAt:maxAge:clockMargin:)`` as well:
/// the daemon's table and its waits, and the fence agent's own listener when the daemon cannot be
/// reached. A request that is repeated (the agent lost the daemon mid-wait) takes its window from
/// ``retryMaxAge(original:elapsedSinceFirstRequest:)``, so that asking again never admits an
/// older message than the first request could.
public enum FenceDecision {
    /// Whether a valid message received at `lastMessage` confirms a request made at `requestedAt`.
    ///
    /// A message confirms when it arrived after the request, or at most `maxAge` before
    /// it; `maxAge == 0` admits only messages that arrive after the request (upstream
    /// semantics). A message whose monotonic arrival time is unknown never confirms.
    public static func confirms(
        lastMessage: MonotonicInstant?, requestedAt: MonotonicInstant, maxAge: Duration
    ) -> Bool {
        guard let lastMessage else { return false }
        if lastMessage > requestedAt { return true }
        guard maxAge > .zero else { return false }
        return requestedAt.since(lastMessage) <= maxAge
    }

    /// Whether a signed message whose sender stamped it `sentAt` (its own wall clock) is recent
    /// enough for a request made when this node's wall clock read `requestedAt`: sent at most
    /// `maxAge + clockMargin` before it (Documentation/design.md §3).
    ///
    /// The arrival rule above alone would let a message captured and held back, or replayed to
    /// a daemon that never saw it, confirm up to `auth_window` after it was sent; this rule ties
    /// freshness to the message's own signed time too, allowing `clockMargin` for the two
    /// clocks' difference. Both rules must hold for a signed message.
    public static func confirms(
        sentAt: WallClockTime, requestedAt: WallClockTime, maxAge: Duration, clockMargin: Duration
    ) -> Bool {
        let allowance = (max(maxAge, .zero) + max(clockMargin, .zero)).nanosecondsClamped
        let (oldest, overflow) = requestedAt.nanosecondsSinceEpoch.subtractingReportingOverflow(allowance)
        return overflow || sentAt.nanosecondsSinceEpoch >= oldest
    }

    /// The `max_age` of a request that repeats one first made `elapsed` ago: the oldest message
    /// it admits is the oldest the first request admitted, never an older one.
    public static func retryMaxAge(original: Duration, elapsedSinceFirstRequest elapsed: Duration) -> Duration {
        original + max(elapsed, .zero)
    }
}
