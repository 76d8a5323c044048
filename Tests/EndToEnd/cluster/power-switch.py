#!/usr/bin/env python3
"""The cluster test's power switch (cluster.sh): what a server's BMC is to fence_ipmilan.

    power-switch.py ADDRESS PORT LOG NODE=QMP-SOCKET...

Listens on ADDRESS:PORT (the test's bridge, inside its network namespace). Each connection
carries one request line, "ACTION NODE" with ACTION one of on, off, reboot, status, and gets one
answer line: "ok on", "ok off" or "error WHY". It acts on the node's QEMU through its monitor
(QMP): off stops the virtual CPUs and resets the machine, so that it stays off until on; on
resumes it (a fresh boot after an off); reboot is a reset and a resume. Every request is
recorded in LOG as "EPOCH-SECONDS ACTION NODE ANSWER", which the test reads to know who was
powered off and when.
"""
import json
import socket
import socketserver
import sys
import time


class Monitor:
    """One QMP session with a node's QEMU."""

    def __init__(self, path):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(10)
        self.socket.connect(path)
        self.reader = self.socket.makefile("r")
        self.reader.readline()  # the greeting
        self.execute("qmp_capabilities")

    def execute(self, command):
        self.socket.sendall(json.dumps({"execute": command}).encode() + b"\n")
        while True:
            line = self.reader.readline()
            if not line:
                raise OSError("QEMU closed its monitor")
            reply = json.loads(line)
            if "error" in reply:
                raise OSError(reply["error"].get("desc", "QMP error"))
            if "return" in reply:
                return reply["return"]
            # Anything else is an asynchronous event: not our answer.

    def close(self):
        self.socket.close()


def act(path, action):
    monitor = Monitor(path)
    try:
        if action == "off":
            monitor.execute("stop")
            monitor.execute("system_reset")
        elif action == "on":
            monitor.execute("cont")
        elif action == "reboot":
            monitor.execute("system_reset")
            monitor.execute("cont")
        elif action != "status":
            return "error unknown action " + action
        return "ok on" if monitor.execute("query-status").get("running") else "ok off"
    finally:
        monitor.close()


def main():
    address, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    monitors = dict(argument.split("=", 1) for argument in sys.argv[4:])

    class Request(socketserver.StreamRequestHandler):
        def handle(self):
            words = self.rfile.readline().decode(errors="replace").split()
            if len(words) != 2:
                answer = "error expected ACTION NODE"
            elif words[1] not in monitors:
                answer = "error unknown node " + words[1]
            else:
                try:
                    answer = act(monitors[words[1]], words[0])
                except OSError as error:
                    answer = f"error {error}"
            with open(log, "a") as record:
                record.write(f"{time.time():.3f} {' '.join(words)} {answer}\n")
            self.wfile.write(answer.encode() + b"\n")

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer((address, port), Request) as server:
        print("power switch ready", flush=True)
        server.serve_forever()


main()
