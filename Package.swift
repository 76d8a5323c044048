// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "KdumpWatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kdump-watchd", targets: ["kdump-watchd"]),
        .executable(name: "kdump-watchctl", targets: ["kdump-watchctl"]),
        .executable(name: "fence_kdump_watch", targets: ["fence_kdump_watch"]),
        .executable(name: "kdump-watch-send", targets: ["kdump-watch-send"]),
        .library(name: "KdumpWire", targets: ["KdumpWire"]),
        .library(name: "KdumpDecision", targets: ["KdumpDecision"]),
        .library(name: "KdumpState", targets: ["KdumpState"]),
        .library(name: "KdumpControl", targets: ["KdumpControl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // Without its Foundation trait: kdump-watchctl uses FoundationEssentials only.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // Datagram codec and address handling; standard library and Glibc only, because the
        // capture-kernel sender links it.
        .target(name: "KdumpWire"),
        // The fence decision and the clocks it is measured on; standard library and Glibc only,
        // because the fence agent's own listener decides with it too.
        .target(name: "KdumpDecision"),
        // Streaming compact JSON encoding (control answers, the state file); standard library only.
        .target(name: "KdumpJSON"),
        .target(
            name: "KdumpState",
            dependencies: [
                "KdumpWire", "KdumpDecision", "KdumpJSON", .product(name: "HeapModule", package: "swift-collections"),
            ]),
        .target(name: "KdumpControl", dependencies: ["KdumpWire", "KdumpJSON"]),
        // Protocol version 2's keys and MACs (swift-crypto); the daemon and kdump-watchctl use it,
        // the capture-kernel sender does not (it signs with Nettle: 17 MB less in the initramfs).
        .target(name: "KdumpAuth", dependencies: ["KdumpWire", .product(name: "Crypto", package: "swift-crypto")]),
        // kdump-watchd.conf and the daemon's flags: one table of keys, the parser; no NIO, systemd
        // or Prometheus, so that the configuration fuzzer links only this.
        .target(
            name: "KdumpConfiguration",
            dependencies: ["KdumpWire", "KdumpDecision", "KdumpState", .product(name: "Logging", package: "swift-log")]),
        // The admission gate: what a received datagram is, under the configuration in force.
        // The daemon and the fence agent's fallback listener both link it, so that the agent
        // admits exactly what the daemon would.
        .target(
            name: "KdumpAdmission",
            dependencies: ["KdumpWire", "KdumpDecision", "KdumpState", "KdumpConfiguration", "KdumpAuth"]),
        // libsystemd (Debian's libsystemd-dev): sd_notify, socket activation, the journal.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // glibc's <malloc.h> (mallopt), which the Glibc module leaves out.
        .systemLibrary(name: "CMalloc"),
        .target(
            name: "KdumpWatchDaemon",
            dependencies: [
                "KdumpWire", "KdumpDecision", "KdumpJSON", "KdumpState", "KdumpControl", "KdumpConfiguration",
                "KdumpAuth", "KdumpAdmission", "KdumpReadiness", "CSystemd", "CMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // getopt_long-style parsing shared by the agent and the sender; standard library only.
        .target(name: "KdumpCommandLine", dependencies: ["KdumpWire"]),
        .target(
            name: "KdumpFenceAgent",
            dependencies: [
                "KdumpWire", "KdumpDecision", "KdumpControl", "KdumpCommandLine", "KdumpAdmission",
                "KdumpConfiguration",
                "KdumpState", "KdumpAuth",
            ]),
        // Nettle (Debian's nettle-dev): the sender's HMAC-SHA256, 0.3 MB in the initramfs.
        .systemLibrary(name: "CNettle", pkgConfig: "nettle", providers: [.apt(["nettle-dev"])]),
        // The capture-kernel sender: standard library, Glibc and Nettle only, no Foundation.
        .target(name: "KdumpSender", dependencies: ["KdumpWire", "KdumpCommandLine", "CNettle"]),
        .target(name: "CSenderStartup"),
        .executableTarget(name: "kdump-watch-send", dependencies: ["KdumpSender", "CSenderStartup"]),
        .executableTarget(name: "fence_kdump_watch", dependencies: ["KdumpFenceAgent"]),
        .executableTarget(
            name: "kdump-watchd",
            dependencies: [
                "KdumpWatchDaemon", "KdumpConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // kdump-watchctl's commands and their output; the executable only calls it.
        .target(
            name: "KdumpWatchCtl",
            dependencies: [
                "KdumpControl", "KdumpJSON", "KdumpWire", "KdumpAuth", "KdumpConfiguration", "KdumpReadiness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Whether this node's crash would be caught (readiness): the crash kernel, the capture
        // image the distribution's kdump service built, read with its own listing tool.
        .target(
            name: "KdumpReadiness",
            dependencies: [
                "KdumpWire", "KdumpJSON", "KdumpAuth", "KdumpConfiguration",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .executableTarget(name: "kdump-watchctl", dependencies: ["KdumpWatchCtl"]),
        // What several test targets share (a seeded random number generator).
        .target(name: "KdumpTestSupport", path: "Tests/KdumpTestSupport"),
        .testTarget(name: "KdumpWireTests", dependencies: ["KdumpWire", "KdumpTestSupport"]),
        .testTarget(name: "KdumpAuthTests", dependencies: ["KdumpAuth", "KdumpWire", "KdumpTestSupport"]),
        .testTarget(
            name: "KdumpAdmissionTests",
            dependencies: [
                "KdumpAdmission", "KdumpAuth", "KdumpConfiguration", "KdumpDecision", "KdumpState", "KdumpWire",
                "KdumpTestSupport",
            ]),
        .testTarget(name: "KdumpJSONTests", dependencies: ["KdumpJSON", "KdumpTestSupport"]),
        .testTarget(name: "KdumpDecisionTests", dependencies: ["KdumpDecision"]),
        .testTarget(name: "KdumpStateTests", dependencies: ["KdumpState", "KdumpDecision"]),
        .testTarget(name: "KdumpControlTests", dependencies: ["KdumpControl"]),
        .testTarget(
            name: "KdumpConfigurationTests",
            dependencies: [
                "KdumpConfiguration", "KdumpWire", "KdumpTestSupport", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "KdumpWatchCtlTests", dependencies: ["KdumpWatchCtl", "KdumpControl", "KdumpWire"]),
        .testTarget(
            name: "KdumpWatchDaemonTests",
            dependencies: [
                "KdumpWatchDaemon", "KdumpState", "KdumpDecision", "KdumpConfiguration", "KdumpAuth", "KdumpAdmission",
                "KdumpTestSupport", .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "KdumpFenceAgentTests", dependencies: ["KdumpFenceAgent", "KdumpWire"]),
        .testTarget(
            name: "KdumpSenderTests", dependencies: ["KdumpSender", "KdumpCommandLine", "KdumpWire", "KdumpAuth"]),
        .testTarget(name: "KdumpCommandLineTests", dependencies: ["KdumpCommandLine"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["KdumpWire", "KdumpControl", "KdumpAuth", "KdumpReadiness", "KdumpTestSupport"]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}

// Fuzz targets for `make fuzz` (libFuzzer), declared only when KDUMP_WATCH_FUZZ is set: they have
// no main of their own (libFuzzer's is linked in) and build only with `--sanitize fuzzer`.
if Context.environment["KDUMP_WATCH_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzSupport", path: "Tests/Fuzz/Sources/FuzzSupport"))
    let fuzzTargets: [(name: String, library: Target.Dependency)] = [
        ("fuzz-datagram", "KdumpWire"), ("fuzz-control-request", "KdumpControl"),
        ("fuzz-configuration", "KdumpConfiguration"), ("fuzz-agent-input", "KdumpFenceAgent"),
        ("fuzz-state-file", "KdumpState"), ("fuzz-json-writer", "KdumpJSON"),
        ("fuzz-signed-message", "KdumpWire"), ("fuzz-key-file", "KdumpWire"),
    ]
    for (name, library) in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: name, dependencies: ["FuzzSupport", library], path: "Tests/Fuzz/Sources/\(name)",
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}
