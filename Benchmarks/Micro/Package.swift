// swift-tools-version: 6.2
// Micro-benchmarks of the pieces every confirmation goes through (the wire check, the request
// parser, the table, the answer and the state file, the tracker), with ordo-one/benchmark.
// A package of its own, so that the product's build never depends on the benchmark tool.
//
//     make bench-micro        (or: cd Benchmarks/Micro && swift package --disable-sandbox benchmark)
import PackageDescription

// A path dependency is named after its directory, which is whatever the checkout is called.
let root = Context.packageDirectory.split(separator: "/").dropLast(2).last.map(String.init) ?? "main"

let package = Package(
    name: "Micro",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        // The malloc interposer alone: the default traits also pull in a runtime interposer
        // that this machine's package mirror does not have.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Components",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KdumpWire", package: root),
                .product(name: "KdumpDecision", package: root),
                .product(name: "KdumpState", package: root),
                .product(name: "KdumpControl", package: root),
            ],
            path: "Benchmarks/Components",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
