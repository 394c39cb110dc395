"""Proves tests/integration/fault_proxy.py drives the real proxy: start with flags, change
settings, black hole, reset, partition, stats, refused commands, and a clean stop."""

import os
import socket
import socketserver
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from fault_proxy import FaultProxy, FaultProxyError  # noqa: E402


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except ConnectionError:
            pass


def round_trip(sock, msg=b"ping", timeout_s=3.0):
    """Seconds for `msg` to come back, or None."""
    start = time.monotonic()
    sock.sendall(msg)
    sock.settimeout(timeout_s)
    got = b""
    try:
        while len(got) < len(msg):
            chunk = sock.recv(len(msg) - len(got))
            if not chunk:
                return None
            got += chunk
    except socket.timeout:
        return None
    return time.monotonic() - start if got == msg else None


def expect_reset(sock, timeout_s=2.0):
    sock.settimeout(timeout_s)
    try:
        data = sock.recv(1)
    except ConnectionResetError:
        return
    raise AssertionError(f"expected a reset, got {data!r}")


def main():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = server.server_address[1]

    with FaultProxy(0, target, latency_ms=50, reset_every=(600, 900), seed=5) as proxy:
        assert proxy.listen_port != 0 and proxy.control_port != 0
        c = socket.create_connection(("127.0.0.1", proxy.listen_port))
        rtt = round_trip(c)
        assert rtt is not None and rtt >= 0.1, rtt
        proxy.set("latency_ms", 0)
        # The fastest of a few: a busy machine may hold any one round trip back.
        assert min(round_trip(c) for _ in range(3)) < 0.1
        assert proxy.current_settings()["up_latency_ms"] == 0

        proxy.blackhole(True)
        assert round_trip(c, timeout_s=0.3) is None
        proxy.blackhole(False)
        assert round_trip(c, b"after") is not None
        assert proxy.stats()["bytes_dropped"] >= 4

        proxy.reset()
        expect_reset(c)
        proxy.partition(True)
        expect_reset(socket.create_connection(("127.0.0.1", proxy.listen_port)))
        proxy.partition(False)
        c = socket.create_connection(("127.0.0.1", proxy.listen_port))
        assert round_trip(c) is not None

        try:
            proxy.set("latency_ms", -1)
            raise AssertionError("a negative latency was accepted")
        except FaultProxyError as e:
            assert "out of range" in str(e), e
        stats = proxy.stats()
        assert stats["connections_reset"] == 1 and stats["connections_refused"] == 1, stats
    assert proxy.proc is None

    try:
        FaultProxy(0, target, latency_ms="fast").start()
        raise AssertionError("a bad flag was accepted")
    except FaultProxyError:
        pass
    print("fault_proxy.py: ok")


if __name__ == "__main__":
    main()
