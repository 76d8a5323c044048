// Its constructor runs before the Swift runtime starts (see sender_startup.c).
import CSenderStartup
import Glibc
import KdumpSender
import KdumpWire

// Killing the sender is how a capture kernel stops it; a broken network is not a reason to die.
signal(SIGPIPE, SIG_IGN)

let arguments: [String] =
    if let argv = kdump_watch_sender_argv() {
        (0..<Int(kdump_watch_sender_argc())).map { String(cString: argv[$0]!) }
    } else {
        CommandLine.arguments
    }
let name = arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "kdump-watch-send"
do {
    switch try SenderCommandLine.parse(Array(arguments.dropFirst())) {
    case .help:
        print(SenderCommandLine.usage(name: name), terminator: "")
    case .version:
        print("\(name) 0.1.0")
    case .send(let options):
        var signer: MessageSigner?
        if let keyFile = options.keyFile {
            do {
                signer = MessageSigner(
                    key: try AuthKey.load(path: keyFile), keyID: options.keyID,
                    nodeName: try SenderIdentity.nodeName(options),
                    nonce: kdump_watch_sender_boot_nonce())
            } catch {
                Sender.standardError("[error]: \(error)")
                exit(1)
            }
        }
        Sender(options: options, signer: signer).run()
    }
    exit(0)
} catch {
    Sender.standardError("[error]: \(error.message)")
    Sender.standardError(SenderCommandLine.usage(name: name))
    exit(1)
}
