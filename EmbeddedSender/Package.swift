// swift-tools-version: 6.2
// kdump-watch-send in Embedded Swift: the capture-kernel sender at the size of a C program,
// needing glibc only (Documentation/architecture.md, "The embedded sender"). Its sources are the
// normal build's, linked here (Sources/kdump-watch-send/KdumpWire, KdumpCommandLine,
// KdumpSender, main.swift) and compiled as one module, which lets the optimiser drop what the
// sender does not use. `make sender` builds it into .build-embedded.
import PackageDescription

let embeddedSettings: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .unsafeFlags([
        "-wmo", "-Osize", "-Xfrontend", "-function-sections",
        // The SIL inliner weighs a call it removes as a benefit of its own; weighed at nothing,
        // it inlines only what pays for itself in size. -Osize alone still copies the standard
        // library's string and array code into every caller: 107.5 kB -> 97.9 kB stripped.
        "-Xllvm", "-sil-inline-removed-call-benefit=0",
    ]),
]

// Both products are linked alike, so that the test tool is built as the sender is.
let embeddedLinking: [LinkerSetting] = [
    .unsafeFlags([
        // Nettle from its static library: the capture image needs no libnettle.so. The target
        // CNettleWithoutDispatch keeps Nettle's CPU dispatch, and the ciphers it pulls in, out.
        "-Xlinker", "-Bstatic", "-Xlinker", "-lnettle", "-Xlinker", "-Bdynamic",
        // The toolchain's lld: unused sections dropped, identical code folded, no page padding
        // between segments, and the read-only data in the code's segment: the loader's first
        // look at the program headers then brings in the start of the code with them, one page
        // fault fewer before the first datagram (Documentation/architecture.md, "The embedded
        // sender"). RELRO with a read-only GOT.
        "-use-ld=lld", "-Xlinker", "--gc-sections", "-Xlinker", "--icf=all",
        "-Xlinker", "-z", "-Xlinker", "noseparate-code", "-Xlinker", "--no-rosegment",
        "-Xlinker", "-z", "-Xlinker", "relro", "-Xlinker", "-z", "-Xlinker", "now",
    ])
]

let package = Package(
    name: "EmbeddedSender",
    products: [
        .executable(name: "kdump-watch-send", targets: ["kdump-watch-send"]),
        // A test tool: the embedded build's datagrams for given inputs (SenderEmbeddedBuildTests).
        .executable(name: "kdump-watch-wire-vectors", targets: ["kdump-watch-wire-vectors"]),
    ],
    targets: [
        .systemLibrary(name: "CLibc"),
        .systemLibrary(name: "CNettle"),
        .target(name: "CSenderStartup", cSettings: [.define("KDUMP_WATCH_SENDER_EMBEDDED")]),
        .target(name: "CNettleWithoutDispatch"),
        .target(name: "CSenderSystemCalls"),
        .executableTarget(
            name: "kdump-watch-send",
            dependencies: ["CLibc", "CNettle", "CNettleWithoutDispatch", "CSenderStartup", "CSenderSystemCalls"],
            swiftSettings: embeddedSettings,
            linkerSettings: embeddedLinking
        ),
        .executableTarget(
            name: "kdump-watch-wire-vectors",
            dependencies: ["CLibc", "CNettle", "CNettleWithoutDispatch", "CSenderStartup", "CSenderSystemCalls"],
            swiftSettings: embeddedSettings,
            linkerSettings: embeddedLinking
        ),
    ]
)
