#if hasFeature(Embedded)
    import CLibc
#else
    import Glibc
    import KdumpWire
#endif

struct DestinationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
