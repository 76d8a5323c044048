/// A file of a capture image, as the listing tool shows it (`lsinitramfs -l`, `lsinitrd`: the
/// `ls -l` columns, the path last, without a leading slash).
public struct ImageEntry: Sendable, Equatable {
    /// The mode as `ls` writes it: `-rw-------`, `lrwxrwxrwx`, `drwxr-xr-x`.
    public var mode: String
    public var path: String
    /// Where a link points, as the listing shows it.
    public var linkTarget: String?

    public init(mode: String, path: String, linkTarget: String? = nil) {
        self.mode = mode
        self.path = path
        self.linkTarget = linkTarget
    }

    /// Parses one line of a listing; nil for lines that are not files (headers, blank lines).
    public init?(listingLine line: some StringProtocol) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 6, let mode = fields.first, mode.count == 10,
            let kind = mode.first, "-dlcbps".contains(kind)
        else { return nil }
        // A link is `path -> target`; the path is what comes before the arrow.
        let arrow = fields.firstIndex(of: "->")
        let last = arrow.map { fields.index(before: $0) } ?? fields.index(before: fields.endIndex)
        var path = String(fields[last])
        if path.hasPrefix("./") { path.removeFirst(2) }
        if path.hasPrefix("/") { path.removeFirst() }
        let target = arrow.flatMap { fields.index($0, offsetBy: 1, limitedBy: fields.index(before: fields.endIndex)) }
        self.init(mode: String(mode), path: path, linkTarget: target.map { String(fields[$0]) })
    }

    public var isRegularFile: Bool { mode.hasPrefix("-") }
    public var isLink: Bool { mode.hasPrefix("l") }

    /// The image path a link points to (absolute targets from the image's root, relative ones
    /// from the link's directory); nil for anything else.
    public var resolvedLinkTarget: String? {
        guard isLink, let linkTarget else { return nil }
        if linkTarget.hasPrefix("/") { return String(linkTarget.dropFirst()) }
        var parts = path.split(separator: "/").dropLast().map(String.init)
        for part in linkTarget.split(separator: "/") {
            if part == ".." { _ = parts.popLast() } else if part != "." { parts.append(String(part)) }
        }
        return parts.joined(separator: "/")
    }
    public var isExecutable: Bool { isRegularFile && mode.dropFirst(3).first == "x" }
    /// Readable and writable by its owner only (0600), as a key must be.
    public var isPrivate: Bool { mode == "-rw-------" }
}
