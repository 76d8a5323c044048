import ArgumentParser
import Glibc
import KdumpReadiness

/// `kdump-watchctl check`: whether a crash of this node would be caught now (readiness), read
/// from the node itself, without the daemon: the crash kernel, the capture image its kdump
/// service built, and what the image holds of ours. Exit 0 ready, 1 not.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that a crash of this node would be caught and announced.",
        discussion: """
            Reads the crash kernel's state and the capture image that kdump-tools or kdump-utils \
            built, with the distribution's own tools (lsinitramfs, unmkinitramfs, lsinitrd). Each \
            check is ok, or one line saying what is wrong and the one command that fixes it. \
            Exit status: 0 ready, 1 not ready, 2 usage.
            """)
    @Flag(help: "Print one JSON object: {\"ready\": BOOL, \"checks\": [{\"name\", \"ok\", \"detail\", \"fix\"}]}.")
    var json = false
    @Option(help: ArgumentHelp("kdump-watchd's configuration (its keys, nodes and cluster name).", valueName: "file"))
    var config: String?
    @Option(
        help: ArgumentHelp(
            "Check this capture image instead of the kdump service's, built by kdump-tools or kdump-utils.",
            valueName: "file"))
    var image: String?
    @Option(help: ArgumentHelp("Which service built the --image file.", valueName: "kdump-tools|kdump-utils"))
    var builder: String?

    func validate() throws {
        if builder != nil && image == nil { throw ValidationError("--builder applies to --image") }
        if let builder, CaptureImage.Builder(rawValue: builder) == nil {
            throw ValidationError("--builder must be kdump-tools or kdump-utils, not '\(builder)'")
        }
    }

    func run() async throws {
        var settings = ReadinessSettings.system { getenv($0).map { String(cString: $0) } }
        settings.daemonConfigurationPath = config
        if let image {
            let builder =
                builder.flatMap(CaptureImage.Builder.init(rawValue:))
                ?? (image.hasSuffix("kdump.img") ? .kdumpUtils : .kdumpTools)
            settings.image = CaptureImage(path: image, builder: builder)
        }
        let report = await ReadinessProbe(settings: settings).run()
        if json {
            printJSON(report)
        } else {
            print(report.text, terminator: "")
        }
        if !report.ready { throw ExitCode(Status.negative.rawValue) }
    }
}
