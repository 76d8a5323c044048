#!/usr/bin/env python3
"""Sender start-up: process start -> first datagram received on loopback, ours vs upstream.

    Benchmarks/sender_start.py SENDER REFERENCE_SENDER [--runs N]
"""
import argparse, socket, statistics, subprocess, sys, time


def first_datagram(command, runs):
    samples = []
    for _ in range(runs):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.settimeout(5)
            port = listener.getsockname()[1]
            start = time.perf_counter()
            process = subprocess.Popen(command + ["-p", str(port), "-c", "1", "127.0.0.1"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            listener.recv(64)
            samples.append(time.perf_counter() - start)
            process.wait()
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sender")
    parser.add_argument("reference")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    ours = first_datagram([args.sender], args.runs)
    upstream = first_datagram([args.reference], args.runs)
    print(f"start to first datagram, median of {args.runs}: kdump-watch-send {ours * 1000:.2f} ms, "
          f"fence_kdump_send {upstream * 1000:.2f} ms, ratio {ours / upstream:.2f}")


if __name__ == "__main__":
    sys.exit(main())
