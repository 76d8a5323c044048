import Foundation

/// `fence_kdump_watch` with the daemon unreachable, listening on a UDP port itself
/// (fallback=listen): handed back once its socket is bound, which its debug line says, so that no
/// test sends before the agent can hear. If a process outside the test took the port between
/// the check and the bind, another one is tried.
struct FallbackAgent {
    let process: BackgroundProcess
    let port: Int

    static func start(_ arguments: [String], config: String) throws -> FallbackAgent {
        var last: FallbackAgent?
        for _ in 0..<4 {
            let port = try TestPorts.udp()
            let process = try BackgroundProcess(
                Build.path("fence_kdump_watch"),
                arguments + ["-p", "\(port)", "--socket", "/nonexistent/kw.sock", "--config", config, "-v"])
            let agent = FallbackAgent(process: process, port: port)
            _ = eventually(30) {
                let text = process.currentError()
                return text.contains("listening on UDP port \(port) for") || text.contains("[error]")
            }
            guard process.currentError().contains("Address already in use") else { return agent }
            _ = process.finish()
            last = agent
        }
        return last!
    }

    /// A configuration file for the agent to read as kdump-watchd's.
    static func writeConfiguration(_ text: String, in directory: String) throws -> String {
        let path = directory + "/kdump-watchd.conf"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }
}
