import Foundation
import Testing

/// etc/prometheus/kdump-watch.rules.yml under the real `promtool`: the rules load, their unit
/// tests (Tests/Prometheus) fire where they must and stay quiet where they must, and every metric
/// they read is one a real daemon's `/metrics` serves.
@Suite struct PrometheusRulesTests {
    static let rules = Build.repository + "/etc/prometheus/kdump-watch.rules.yml"
    static let ruleTests = Build.repository + "/Tests/Prometheus/kdump-watch.rules.test.yml"

    @Test func theRulesLoadAndTheirUnitTestsPass() throws {
        let check = try run(MetricsEndpointTests.promtool, ["check", "rules", Self.rules])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("SUCCESS: 9 rules found"), "\(check.stdout)")
        let test = try run(MetricsEndpointTests.promtool, ["test", "rules", Self.ruleTests])
        #expect(test.status == 0, "\(test)")
        #expect(test.stdout.contains("SUCCESS"), "\(test.stdout)")
    }

    /// The guide's cluster-wide readiness queries are the ones the rule tests evaluate.
    @Test func theGuidesQueriesAreTheTestedOnes() throws {
        let tests = try String(contentsOfFile: Self.ruleTests, encoding: .utf8)
        let guide = try String(
            contentsOfFile: Build.repository + "/Documentation/operators-guide.md", encoding: .utf8)
        let queries = tests.split(separator: "\n").compactMap { line in
            line.trimmingCharacters(in: .whitespaces).hasPrefix("- expr: ")
                ? line.trimmingCharacters(in: .whitespaces).dropFirst("- expr: ".count) : nil
        }
        #expect(queries.count == 2, "\(queries)")
        for query in queries { #expect(guide.contains("```promql\n\(query)\n```"), "\(query) is not in the guide") }
    }

    @Test func everyMetricTheRulesReadIsOneTheDaemonServes() throws {
        let text = try String(contentsOfFile: Self.rules, encoding: .utf8)
        let used = Set(
            text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
                .filter { $0.hasPrefix("kdump_watch_") }.map(String.init))
        #expect(used.count >= 4, "\(used)")
        let daemon = try DaemonUnderTest(["--metrics-listen", "127.0.0.1:0"])
        defer { daemon.remove() }
        let port = try #require(try MetricsEndpointTests.endpoints(daemon).first).port
        let served = try MetricsEndpointTests.get("/metrics", host: "127.0.0.1", port: port).body
        for name in used.sorted() {
            #expect(
                served.contains("\n# TYPE \(name) ") || served.hasPrefix("# TYPE \(name) ")
                    || served.contains("\n\(name){") || served.contains("\n\(name) "), "\(name) is not served")
        }
    }
}
