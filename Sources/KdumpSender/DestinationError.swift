import Glibc
import KdumpWire

struct DestinationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
