// Its constructor runs before the Swift runtime starts (see sender_startup.c).
import CSenderStartup

#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
    import KdumpSender
    import KdumpWire
#endif

// The command line as the C library handed it to the start-up constructor; Embedded Swift has
// no CommandLine, and the constructor always runs before this.
let arguments: [String] =
    if let argv = kdump_watch_sender_argv() {
        (0..<Int(kdump_watch_sender_argc())).map { String(cString: argv[$0]!) }
    } else {
        []
    }
// The name it was called by, after the last "/".
let name =
    arguments.first.map { path in
        let bytes = Array(path.utf8)
        return String(decoding: bytes[(bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0)...], as: UTF8.self)
    } ?? "kdump-watch-send"
do {
    switch try SenderCommandLine.parse(Array(arguments.dropFirst())) {
    case .help:
        signal(SIGPIPE, SIG_IGN)  // a closed pipe on stdout is not a reason to die (Sender.standardError)
        print(SenderCommandLine.usage(name: name), terminator: "")
    case .version:
        signal(SIGPIPE, SIG_IGN)
        print("\(name) 0.1.0")
    case .send(let options):
        var signer: MessageSigner?
        if let keyFile = options.keyFile {
            let key: AuthKey
            let nodeName: String
            do throws(AuthKey.FileError) {
                key = try AuthKey.load(path: keyFile)
            } catch {
                Sender.standardError("[error]: \(error)")
                exit(1)
            }
            do throws(SenderIdentity.Failure) {
                nodeName = try SenderIdentity.nodeName(options)
            } catch {
                Sender.standardError("[error]: \(error)")
                exit(1)
            }
            signer = MessageSigner(
                key: key, keyID: options.keyID, nodeName: nodeName, nonce: kdump_watch_sender_boot_nonce())
        }
        Sender(options: options, signer: signer).run()
    }
    exit(0)
} catch {
    Sender.standardError("[error]: \(error.message)")
    Sender.standardError(SenderCommandLine.usage(name: name))
    exit(1)
}
