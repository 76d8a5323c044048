import Glibc
import KdumpFenceAgent

// A fence agent ends with status 0 or 1, never by a signal: a broken pipe is an error to
// report, and SIGTERM (fencer timeout) or SIGINT ends the wait as "not fenced".
signal(SIGPIPE, SIG_IGN)
for number in [SIGTERM, SIGINT, SIGHUP] {
    signal(number) { _ in
        let message = "[error]: interrupted: not fenced\n"
        _ = message.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
        _exit(1)
    }
}
var emptySignalSet = sigset_t()
sigemptyset(&emptySignalSet)
sigprocmask(SIG_SETMASK, &emptySignalSet, nil)

exit(
    FenceAgent.main(arguments: CommandLine.arguments) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(STDIN_FILENO, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 || bytes.count > 1 << 20 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    })
