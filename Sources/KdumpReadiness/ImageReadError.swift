/// Why a capture image could not be listed or read: the tool and its first line of complaint.
public struct ImageReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
