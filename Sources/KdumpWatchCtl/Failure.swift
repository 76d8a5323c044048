import ArgumentParser
import Glibc
import KdumpControl
import KdumpJSON
import KdumpWire

/// A failure that ends the command with `status` after printing `message` on stderr.
struct Failure: Error {
    var status: Status
    var message: String
}
