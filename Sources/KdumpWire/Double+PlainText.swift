extension Double {
    /// A number as upstream `fence_kdump` prints seconds in its messages: `60`, not `60.0`;
    /// fractions stay (`2.5`). Log searches written for upstream's lines keep matching.
    public var plainText: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
