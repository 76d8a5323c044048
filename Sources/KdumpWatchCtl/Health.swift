import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the daemon answers and show what it holds.")
    @OptionGroup var connection: SocketOption
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let report = try connection.call(ControlRequest(op: .health), HealthReport.self)
        if json {
            printJSON(report)
            return
        }
        let udp = report.udp.map(\.description)
        print("kdump-watchd \(report.version) (pid \(report.pid)) up \(Int(report.uptimeSeconds))s")
        print("udp: \(udp.isEmpty ? "none" : udp.joined(separator: " "))")
        if let metrics = report.metrics, !metrics.isEmpty {
            print("metrics: \(metrics.map { "http://\($0)/metrics" }.joined(separator: " "))")
        }
        print(
            "hosts: \(report.hostsDumping) dumping, \(report.hostsFinished) finished; waits in flight: \(report.waitsInFlight); control clients: \(report.controlClients)"
        )
        print("state file: \(report.stateWritable ? "writable" : "NOT WRITABLE (answering from memory)")")
        if let auth = report.auth {
            let cluster = report.clusterName.map { " (node keys of cluster '\($0)')" } ?? ""
            print("auth: \(auth)\(cluster)\(report.authKeyError.map { "; KEY FILE PROBLEM: \($0)" } ?? "")")
        }
        switch report.captureReady {
        case true?: print("capture: ready (a crash of this node would be caught)")
        case false?:
            print("capture: NOT READY (kdump-watchctl check says more)")
            for problem in report.captureProblems ?? [] { print("  \(problem)") }
        case nil: break
        }
    }
}
