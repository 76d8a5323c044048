/// The capture initramfs that the distribution's kdump service built for the running kernel,
/// where that service keeps it: Debian's kdump-tools `/var/lib/kdump/initrd.img-RELEASE` (its
/// kernel hook `/etc/kernel/postinst.d/kdump-tools` runs mkinitramfs), RHEL's kdump-utils
/// `/boot/initramfs-RELEASEkdump.img` (`kdumpctl` runs mkdumprd, that is dracut).
public struct CaptureImage: Sendable, Equatable {
    /// Which kdump service builds it, and so which tool lists it.
    public enum Builder: String, Sendable {
        case kdumpTools = "kdump-tools"
        case kdumpUtils = "kdump-utils"
    }

    public var path: String
    public var builder: Builder

    public init(path: String, builder: Builder) {
        self.path = path
        self.builder = builder
    }

    /// Where each service keeps the image of `kernelRelease`, kdump-tools' first.
    public static func candidates(kernelRelease: String) -> [CaptureImage] {
        [
            CaptureImage(path: "/var/lib/kdump/initrd.img-\(kernelRelease)", builder: .kdumpTools),
            CaptureImage(path: "/boot/initramfs-\(kernelRelease)kdump.img", builder: .kdumpUtils),
        ]
    }

    /// The command that rebuilds the image and loads the capture kernel with it.
    public func rebuildCommand(kernelRelease: String) -> String {
        switch builder {
        case .kdumpTools: "/etc/kernel/postinst.d/kdump-tools \(kernelRelease) && kdump-config reload"
        case .kdumpUtils: "kdumpctl rebuild && kdumpctl restart"
        }
    }

    /// The command that loads the capture kernel.
    public var loadCommand: String {
        switch builder {
        case .kdumpTools: "kdump-config load"
        case .kdumpUtils: "kdumpctl start"
        }
    }

    /// Where the capture-kernel integration writes the sender's settings inside the image.
    var senderConfiguration: String {
        switch builder {
        case .kdumpTools: "conf/kdump-watch-send.conf"
        case .kdumpUtils: "etc/kdump-watch-send.conf"
        }
    }
}
