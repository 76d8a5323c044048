#!/usr/bin/env python3
"""Confirm latency for a host that is already dumping: fence agent start -> exit.

Ours: fence_kdump_watch asking a running kdump-watchd that has seen the host.
Upstream: fence_kdump (Debian fence-agents) while upstream fence_kdump_send sends to it.
Both with the same real upstream sender. Prints medians and the ratio, one run.

    Benchmarks/confirm_latency.py [--runs N] [--interval SECONDS] [--build .build/release]
"""
import argparse, os, random, socket, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)


def reference_tools():
    out = subprocess.run(["sh", os.path.join(repo, "..", "shared", "scripts", "reference-agents.sh"),
                          os.path.join(repo, ".build-reference")], check=True, capture_output=True, text=True).stdout
    tools = dict(line.split("=", 1) for line in out.split())
    return tools["FENCE_KDUMP"], tools["FENCE_KDUMP_SEND"]


def free_port():
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind(("::", 0))
        return s.getsockname()[1]


def timed(command):
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, result.returncode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--interval", type=int, default=1, help="upstream sender interval (s)")
    parser.add_argument("--build", default=os.path.join(repo, ".build", "release"))
    args = parser.parse_args()
    agent, sender = reference_tools()
    work = tempfile.mkdtemp(prefix="kdump-watch-bench-")
    sock = os.path.join(work, "control.sock")

    port = free_port()
    daemon = subprocess.Popen([os.path.join(args.build, "kdump-watchd"), "--port", str(port), "--control-socket", sock,
                               "--state-dir", work, "--log-level", "error"])
    feeder = None
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        feeder = subprocess.Popen([sender, "-p", str(port), "-i", str(args.interval), "127.0.0.1"])
        time.sleep(0.5)
        ours = []
        for _ in range(args.runs):
            elapsed, code = timed([os.path.join(args.build, "fence_kdump_watch"), "-n", "127.0.0.1", "-t", "30",
                                   "--socket", sock, "--fallback", "none"])
            assert code == 0, "fence_kdump_watch did not confirm"
            ours.append(elapsed)
    finally:
        if feeder:
            feeder.kill()
        daemon.terminate()
        daemon.wait()

    port = free_port()
    feeder = subprocess.Popen([sender, "-p", str(port), "-i", str(args.interval), "127.0.0.1"])
    upstream = []
    try:
        for _ in range(args.runs):
            # Start at a random phase of the sender's interval, as a real fence would.
            time.sleep(random.uniform(0, args.interval))
            elapsed, code = timed([agent, "-n", "127.0.0.1", "-p", str(port), "-t", str(args.interval * 3 + 5)])
            assert code == 0, "upstream fence_kdump did not confirm"
            upstream.append(elapsed)
    finally:
        feeder.kill()

    ours_median, upstream_median = statistics.median(ours), statistics.median(upstream)
    print(f"confirm latency, host already dumping, sender interval {args.interval} s, {args.runs} runs each")
    print(f"  fence_kdump_watch: median {ours_median * 1000:.2f} ms (min {min(ours) * 1000:.2f}, max {max(ours) * 1000:.2f})")
    print(f"  fence_kdump:       median {upstream_median * 1000:.1f} ms (min {min(upstream) * 1000:.1f}, max {max(upstream) * 1000:.1f})")
    print(f"  ratio: {upstream_median / ours_median:.0f}x faster")


if __name__ == "__main__":
    sys.exit(main())
