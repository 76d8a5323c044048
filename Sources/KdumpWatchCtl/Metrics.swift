import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the daemon's metrics (Prometheus text format).")
    @OptionGroup var connection: SocketOption

    func run() throws {
        print(try connection.call(ControlRequest(op: .metrics), MetricsReport.self).text, terminator: "")
    }
}
