import ArgumentParser
import Glibc

/// `kdump-watchctl` as a function: parses `arguments` (without the program name), runs the
/// command, and returns the exit status (kdump-watchctl(8)): parse errors exit 2, not
/// ArgumentParser's 64, and every failure is one line on stderr.
public enum KdumpWatchctl {
    public static func main(arguments: [String]) async -> Int32 {
        do {
            var command = try Ctl.parseAsRoot(reorderedArguments(arguments))
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            return 0
        } catch let failure as Failure {
            writeStandardError(failure.message)
            return failure.status.rawValue
        } catch let code as ExitCode {
            return code.rawValue
        } catch {
            // Help, version and every parse error: ArgumentParser's message, with exit 0 or 2.
            let message = Ctl.fullMessage(for: error)
            if Ctl.exitCode(for: error) == .success {
                print(message)
                return 0
            }
            writeStandardError(message)
            return Status.usage.rawValue
        }
    }

    /// `--socket` is accepted before the subcommand too (`kdump-watchctl --socket P status`):
    /// moved behind the subcommand name, where ArgumentParser looks for it.
    static func reorderedArguments(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if first == "--socket", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--socket=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty, let subcommand = rest.first else { return arguments }
        return [subcommand] + leading + rest.dropFirst()
    }
}

func writeStandardError(_ message: String) {
    let line = message + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
}
