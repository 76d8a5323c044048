#!/usr/bin/env python3
"""Logs, on the host's clock, every UDP datagram to PORT that a node sends through its tap device:
one line "SECONDS SOURCE DESTINATION" each. The failover benchmark reads a capture kernel's first
announcement from it, on the same clock as the panic, whichever sender made it.

    datagram-log.py TAP PORT LOG
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def main():
    tap, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    listener = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    listener.bind((tap, 0))
    with open(path, "a", buffering=1) as log:
        while True:
            frame = listener.recv(2048)
            seen = time.time()
            # Ethernet II, IPv4, UDP: what the capture kernel sends (no VLAN tag on this bridge).
            if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
                continue
            header = (frame[14] & 0x0F) * 4
            if len(frame) < 14 + header + 8:
                continue
            destination_port = struct.unpack("!H", frame[14 + header + 2:14 + header + 4])[0]
            if destination_port == port:
                log.write(f"{seen:.6f} {socket.inet_ntoa(frame[26:30])} {socket.inet_ntoa(frame[30:34])}\n")


if __name__ == "__main__":
    main()
