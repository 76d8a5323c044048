// What one fence confirmation costs, piece by piece, without sockets: the whole-process
// figures are in Benchmarks/bench.py; these say which piece a change made cheaper.
//
// Each benchmark repeats its operation 1000 times a sample (`scalingFactor: .kilo`), so the
// figures printed are per operation.
import Benchmark
import Glibc
import KdumpControl
import KdumpDecision
import KdumpState
import KdumpWire

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2))

    Benchmark("Datagram check (8 bytes, valid)") { benchmark in
        let datagram = KdumpDatagram.littleEndianV1
        for _ in benchmark.scaledIterations {
            blackHole(KdumpDatagram.classify(datagram))
        }
    }

    Benchmark("Request parse (wait, one target)") { benchmark in
        let line = Array(#"{"v":1,"op":"wait","targets":["127.3.0.1"],"timeout":60,"max_age":0}"#.utf8)
        for _ in benchmark.scaledIterations {
            blackHole(try? ControlRequest.parse(line))
        }
    }

    Benchmark("Answer line (wait confirmed, with the host row)") { benchmark in
        // What the daemon writes when a datagram ends a wait (ControlSession's WaitAnswer).
        let now = Sample.now()
        let entry = HostEntry(
            address: HostAddress("127.3.0.1")!, node: "node1", firstSeen: now.wall, lastSeen: now.wall,
            lastSeenMonotonic: now.monotonic, messages: 1)
        for _ in benchmark.scaledIterations {
            // The row and its protocol form, as the daemon builds them (HostReport+Status.swift).
            let row = HostStatus(entry: entry, at: now.monotonic, finishedAfter: .seconds(60))
            let host = HostReport(
                address: row.entry.address.description, node: row.entry.node,
                state: row.state == .dumping ? .dumping : .finished, firstSeen: row.entry.firstSeen.rfc3339,
                lastSeen: row.entry.lastSeen.rfc3339, messages: row.entry.messages,
                lastSeenAgeSeconds: row.age.map { ($0.secondsValue * 1000).rounded() / 1000 })
            blackHole(
                ControlCoding.line(
                    ControlResponse(
                        op: .wait, id: nil,
                        payload: WaitReport(result: .confirmed, host: host, target: "node1", waitedSeconds: 0.25))))
        }
    }

    Benchmark("Table: message from a host already dumping") { benchmark in
        var table = StateTable(settings: .testing())
        let address = HostAddress("127.3.0.1")!
        _ = table.record(from: address, node: nil, at: Sample.now())
        let now = Sample.now()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(table.record(from: address, node: nil, at: now))
        }
    }

    Benchmark("Table: first message of a new host (of 4096)") { benchmark in
        let addresses = Sample.addresses(4096)
        var table = StateTable(settings: .testing())
        let now = Sample.now()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            // A fresh table every 4096 hosts, so each record adds an entry and evicts none.
            if index % addresses.count == 0 { table = StateTable(settings: .testing()) }
            blackHole(table.record(from: addresses[index % addresses.count], node: nil, at: now))
        }
    }

    Benchmark(
        "State file of 1000 hosts (encode)",
        configuration: .init(scalingFactor: .one)
    ) { benchmark in
        let now = Sample.now()
        let entries = Sample.addresses(1000).map {
            HostEntry(
                address: $0, node: nil, firstSeen: now.wall, lastSeen: now.wall, lastSeenMonotonic: now.monotonic,
                messages: 3)
        }
        let state = PersistedState(
            bootID: "0f9c3c5e-7d1a-4b8e-9e4a-2f6d1c0b5a77", writtenAt: now.wall, entries: entries)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(state.encoded())
        }
    }

    Benchmark("Tracker: wait ended by a datagram (actor round trips)") { benchmark in
        // One wait at a time: start it, let the tracker hold it, record the datagram that
        // confirms it, take the outcome. The tracker's share of a confirmation, tasks and all.
        let tracker = HostTracker(settings: .testing(), clock: Sample.now)
        let addresses = Sample.addresses(4096)
        for index in benchmark.scaledIterations {
            let address = addresses[index % addresses.count]
            let request = WaitRequest(keys: [.address(address)], maxAge: .zero, timeout: .seconds(60))
            async let outcome = tracker.wait(for: request)
            while await tracker.waitsInFlight == 0 { await Task.yield() }
            await tracker.recordValid(from: address)
            blackHole(await outcome)
        }
    }
}

/// Inputs shared by the benchmarks.
enum Sample {
    /// Both clocks, read now.
    @Sendable static func now() -> Timestamp {
        var monotonic = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        clock_gettime(CLOCK_REALTIME, &wall)
        return Timestamp(
            monotonic: MonotonicInstant(
                nanoseconds: UInt64(monotonic.tv_sec) * 1_000_000_000 + UInt64(monotonic.tv_nsec)),
            wall: WallClockTime(nanosecondsSinceEpoch: Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec)))
    }

    /// `count` distinct IPv4 addresses, 127.3.x.y as in Benchmarks/concurrent_waits.c.
    static func addresses(_ count: Int) -> [HostAddress] {
        (0..<count).map { HostAddress("127.3.\($0 / 250).\($0 % 250 + 1)")! }
    }
}

extension TableSettings {
    /// The daemon's default table settings (kdump-watchd.conf(5)).
    static func testing() -> TableSettings {
        TableSettings(finishedAfter: .seconds(30), retain: .seconds(86_400), maxHosts: 4096)
    }
}
