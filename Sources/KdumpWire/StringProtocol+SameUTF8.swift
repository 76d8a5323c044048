extension StringProtocol {
    /// Whether the two texts are the same UTF-8 bytes. For the protocol's ASCII words (option
    /// names, phases, families) this is what `==` answers; unlike `==`, it needs no Unicode
    /// normalisation, whose tables would make up most of the embedded sender
    /// (Documentation/architecture.md, "The embedded sender").
    @inlinable
    public func hasSameUTF8(as other: some StringProtocol) -> Bool { utf8.elementsEqual(other.utf8) }
}
