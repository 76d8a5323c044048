import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

/// Exit statuses of `kdump-watchctl` (kdump-watchctl(8)).
public enum Status: Int32, Sendable {
    case success = 0
    case negative = 1
    case usage = 2
    case unreachable = 3
}
