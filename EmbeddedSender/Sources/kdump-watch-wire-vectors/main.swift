// kdump-watch-wire-vectors KEY ID NODE PHASE NONCE SEQUENCE TIMESTAMP: the signed datagram that
// the embedded build's codec and signer (the sender's own source files) make of these inputs,
// as hexadecimal digits. A test tool: SenderEmbeddedBuildTests compares it with the normal
// build's datagram for the protocol document's example and for random inputs. KEY is the key
// (64 hexadecimal digits), ID the key id (2), NONCE and TIMESTAMP decimal, SEQUENCE from 1.
import CLibc
import CSenderStartup

func fail(_ message: String) -> Never {
    print("kdump-watch-wire-vectors: \(message)")
    exit(2)
}

let arguments: [String] = (0..<Int(kdump_watch_sender_argc())).map {
    String(cString: kdump_watch_sender_argv()![$0]!)
}
guard arguments.count == 8 else { fail("usage: KEY ID NODE PHASE NONCE SEQUENCE TIMESTAMP") }
let key: AuthKey
do throws(AuthKey.FileError) {
    key = try AuthKey.parse(Array(arguments[1].utf8), path: "KEY")
} catch {
    fail("\(error)")
}
guard let keyID = UInt8(arguments[2], radix: 16), SignedMessage.isValidNodeName(arguments[3]),
    let phase = SignedMessage.Phase(name: arguments[4]), let nonce = UInt64(arguments[5]),
    let sequence = UInt32(arguments[6]), sequence > 0, let timestamp = UInt64(arguments[7])
else { fail("malformed arguments") }

/// The datagram with sequence number `sequence`: the signer numbers its messages from 1.
func datagram() -> [UInt8] {
    var signer = MessageSigner(key: key, keyID: keyID, nodeName: arguments[3], nonce: nonce, now: { timestamp })
    var message: [UInt8] = []
    for _ in 1...sequence { message = signer.next(phase: phase) }
    return message
}

let digits = Array("0123456789abcdef".utf8)
print(String(decoding: datagram().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self))
