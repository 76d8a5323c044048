import KdumpConfiguration
import KdumpWire
import Logging
import Testing

@Suite struct ConfigurationTests {
    func parse(_ text: String?, _ overrides: [(key: String, value: String)] = []) throws(ConfigurationError)
        -> DaemonConfiguration
    {
        try ConfigurationParser.parse(
            fileText: text, fileName: "/etc/kdump-watch/kdump-watchd.conf", overrides: overrides)
    }

    @Test func noFileMeansBuiltInDefaults() throws {
        let configuration = try parse(nil)
        #expect(configuration == DaemonConfiguration())
        #expect(configuration.port == 7410)
        #expect(configuration.finishedAfter == .seconds(30))
        #expect(configuration.retain == .seconds(86_400))
        #expect(configuration.maxAge == .seconds(30))
        #expect(configuration.maxHosts == 4096)
        #expect(configuration.listen.isEmpty)
        #expect(configuration.allow.isEmpty)
    }

    @Test func parsesEveryKey() throws {
        let configuration = try parse(
            """
            # comment line
            listen = 0.0.0.0, ::1
            port=7411
              control_socket = /run/kw/c.sock   # trailing comment
            control_group = wheel
            state_dir = /var/lib/kw
            nodes = node1 node2=10.0.0.2,fd00::2
            allow = 10.0.0.0/24 fd00::/64, nodes
            finished_after = 1m
            retain = 2h
            max_age = 0
            max_hosts = 10
            max_clients = 5
            client_idle_timeout = 1.5s
            rate_limit = 0
            log_level = DEBUG
            """)
        #expect(configuration.listen == [HostAddress("0.0.0.0")!, HostAddress("::1")!])
        #expect(configuration.port == 7411)
        #expect(configuration.controlSocket == "/run/kw/c.sock")
        #expect(configuration.controlGroup == "wheel")
        #expect(configuration.stateDirectory == "/var/lib/kw")
        #expect(
            configuration.nodes
                == .list([
                    NodeSpec(name: "node1", addresses: []),
                    NodeSpec(name: "node2", addresses: [HostAddress("10.0.0.2")!, HostAddress("fd00::2")!]),
                ]))
        #expect(
            configuration.allow == [.range(AddressRange("10.0.0.0/24")!), .range(AddressRange("fd00::/64")!), .nodes])
        #expect(configuration.finishedAfter == .seconds(60))
        #expect(configuration.retain == .seconds(7200))
        #expect(configuration.maxAge == .zero)
        #expect(configuration.maxHosts == 10)
        #expect(configuration.maxClients == 5)
        #expect(configuration.clientIdleTimeout == .milliseconds(1500))
        #expect(configuration.rateLimit == 0)
        #expect(configuration.logLevel == .debug)
    }

    @Test func flagsWinOverTheFile() throws {
        let configuration = try parse("port = 7411\nmax_age = 10", [("port", "7412")])
        #expect(configuration.port == 7412)
        #expect(configuration.maxAge == .seconds(10))
    }

    @Test func windowsLineEndingsAreAccepted() throws {
        let configuration = try parse("port = 7411\r\nmax_age = 5\r\n# note\r\n")
        #expect(configuration.port == 7411)
        #expect(configuration.maxAge == .seconds(5))
    }

    @Test func corosyncNodes() throws {
        #expect(try parse("nodes = corosync").nodes == .corosync(path: "/etc/corosync/corosync.conf"))
        #expect(try parse("nodes = corosync:/tmp/c.conf").nodes == .corosync(path: "/tmp/c.conf"))
    }

    @Test func metricsListenTakesIPv4AndBracketedIPv6Endpoints() throws {
        #expect(DaemonConfiguration().metricsListen.isEmpty)
        let endpoints = try parse("metrics_listen = 127.0.0.1:9810, [::1]:9810 [::]:0").metricsListen
        #expect(endpoints.map(\.description) == ["127.0.0.1:9810", "[::1]:9810", "[::]:0"])
        #expect(endpoints[1].address == HostAddress("::1") && endpoints[1].port == 9810)
    }

    @Test(arguments: [
        ("metrics_listen = 127.0.0.1", 1, "is not ADDRESS:PORT"),
        ("metrics_listen = ::1:9810", 1, "in brackets"),
        ("metrics_listen = [::1]:+80", 1, "not a TCP port"),
        ("metrics_listen = host:9810", 1, "not a numeric IP address"),
        ("port = 70000", 1, "port"),
        ("\n\nbogus = 1", 3, "unknown key 'bogus'"),
        ("port", 1, "expected 'key = value'"),
        ("listen = node1", 1, "not a numeric IP address"),
        ("max_age = -1", 1, "max_age"),
        ("finished_after = 0", 1, "finished_after"),
        ("retain = 5x", 1, "retain"),
        ("allow = 10.0.0.0/33", 1, "allow"),
        ("nodes = a=1.2.3", 1, "nodes"),
        ("nodes = a a", 1, "listed twice"),
        ("control_socket = relative/path", 1, "absolute path"),
        ("max_hosts = 0", 1, "max_hosts"),
        ("log_level = loud", 1, "log_level"),
        ("port = 7410\nport = 7411x", 2, "port"),
    ])
    func badLinesNameFileLineAndKey(text: String, line: Int, fragment: String) {
        #expect {
            try parse(text)
        } throws: { error in
            let description = "\(error)"
            return description.hasPrefix("/etc/kdump-watch/kdump-watchd.conf:\(line): ")
                && description.contains(fragment)
        }
    }

    @Test func badFlagValuesNameTheFlag() {
        #expect {
            try parse(nil, [("state_dir", "x")])
        } throws: { error in
            "\(error)".hasPrefix("--state-dir: ")
        }
    }

    /// Found by fuzz-configuration: the error named neither a line nor the values.
    @Test func retainShorterThanFinishedAfterIsRejectedWithItsLine() {
        #expect(
            throws: ConfigurationError(
                origin: "/etc/kdump-watch/kdump-watchd.conf:2",
                message:
                    "retain (600.0s) must be at least finished_after (3600.0s, set at /etc/kdump-watch/kdump-watchd.conf:1)"
            )
        ) { try parse("finished_after = 1h\nretain = 10m") }
        #expect(
            throws: ConfigurationError(
                origin: "/etc/kdump-watch/kdump-watchd.conf:1",
                message: "retain (10.0s) must be at least finished_after (30.0s, the default)")
        ) { try parse("retain = 10s") }
    }

    @Test func everyKeyHasOneNameAndOneFlag() {
        #expect(ConfigurationKey.named("state_dir")?.flag == "--state-dir")
        #expect(ConfigurationKey.flagged("--client-idle-timeout")?.name == "client_idle_timeout")
        let names = ConfigurationKey.all.map(\.name)
        #expect(names.count == Set(names).count)
        #expect(Set(ConfigurationKey.all.map(\.flag)).count == names.count)
    }

    @Test func flagsAreReadByTheTable() throws {
        let pairs = try ConfigurationParser.overrides(fromArguments: [
            "--port", "0", "--state-dir=/tmp/x", "--allow", "10.0.0.0/8, nodes", "--log-level=debug",
        ])
        #expect(pairs.map(\.key) == ["port", "state_dir", "allow", "log_level"])
        #expect(pairs.map(\.value) == ["0", "/tmp/x", "10.0.0.0/8, nodes", "debug"])
        let configuration = try ConfigurationParser.parse(fileText: "port = 9", fileName: "f", overrides: pairs)
        #expect(configuration.port == 0 && configuration.stateDirectory == "/tmp/x")
        #expect(configuration.allow == [.range(AddressRange("10.0.0.0/8")!), .nodes])
    }

    @Test(arguments: [
        (["--bogus", "1"], "--bogus: unknown option"), (["port", "1"], "port: unknown option"),
        (["--port"], "--port: missing value (port)"), (["--state_dir", "/x"], "--state_dir: unknown option"),
    ])
    func badFlagsAreOneClearError(arguments: [String], expected: String) {
        #expect {
            try ConfigurationParser.overrides(fromArguments: arguments)
        } throws: { error in
            (error as? ConfigurationError)?.description == expected
        }
    }

    @Test func onlySocketAndDirectoryKeysNeedARestart() {
        #expect(
            ConfigurationKey.restartOnly.map(\.name) == [
                "listen", "port", "control_socket", "control_group", "state_dir", "metrics_listen",
            ])
        var old = DaemonConfiguration()
        old.port = 1
        var new = DaemonConfiguration()
        new.port = 2
        new.maxAge = .seconds(5)
        let port = ConfigurationKey.named("port")!
        #expect(port.differs(new, from: old))
        port.copy(from: old, to: &new)
        #expect(new.port == 1 && new.maxAge == .seconds(5))
    }

    @Test func theHelpListsEveryFlagWithItsDefault() {
        for key in ConfigurationKey.all {
            #expect(ConfigurationParser.flagsHelp.contains("\(key.flag) <\(key.valueName)>"))
            #expect(ConfigurationParser.flagsHelp.contains("default \(key.defaultText)"))
        }
        #expect(ConfigurationKey.named("retain")?.defaultText == "24h")
        #expect(ConfigurationKey.named("max_age")?.defaultText == "30s")
        #expect(ConfigurationKey.named("log_level")?.defaultText == "info")
    }
}
