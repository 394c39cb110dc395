"""Clients that abuse the local API the way issue 24's tester did, shared by
tests/integration/abuse_test.py (which asserts) and bench/api_abuse.py (which reports figures):
huge and chunked bodies, half-open and slowloris connections, long-polls held open, and timing of
/healthz and ordinary requests beside them. Loopback only; every loop is bounded."""

import json
import select
import socket
import threading
import time
import urllib.parse

from harness import http, token_for

MIB = 1 << 20


def host_port(url):
    u = urllib.parse.urlparse(url)
    return u.hostname, u.port


def auth_line(url):
    """The node's admin token as a header line, when `url` is a testbed node's (issue 14)."""
    token = token_for(url)
    return f"Authorization: Bearer {token}\r\n" if token else ""


def host_header(url):
    """The Host a browser would send for `url` (issue 14 refuses foreign ones)."""
    host, port = host_port(url)
    return f"{host}:{port}"


def connect(url, source="127.0.0.1"):
    """A new TCP connection to the API at `url`, from the loopback address `source`."""
    return socket.create_connection(host_port(url), timeout=10, source_address=(source, 0))


def read_answer(sock, timeout_s=10):
    """(status, parsed JSON or None) of one answer on `sock`, read until its body is whole or the
    peer closes; (None, None) when nothing came."""
    sock.settimeout(timeout_s)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head:
        return None, None
    status = int(head.split(b" ")[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    try:
        return status, json.loads(body[:length] or b"null")
    except ValueError:
        return status, None


def push_body(sock, head, total_bytes, chunk=b"x" * MIB, limit_s=120):
    """Sends `head`, then up to `total_bytes` of body, `chunk` after `chunk`, while watching for
    an early answer, as a client that reads while it sends would. Returns (status, json, body
    bytes sent by then)."""
    sock.sendall(head)
    sock.setblocking(False)
    chunk_bytes = len(chunk)
    sent = 0
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        want_write = [sock] if sent < total_bytes else []
        readable, writable, _ = select.select([sock], want_write, [], 5)
        if readable:
            break
        if writable:
            try:
                sent += sock.send(chunk[: min(chunk_bytes, total_bytes - sent)])
            except (BrokenPipeError, ConnectionResetError):
                break
    sock.setblocking(True)
    try:
        status, body = read_answer(sock)
    except (ConnectionResetError, socket.timeout):
        status, body = None, None
    return status, body, sent


def post_raw(url, path, body, headers=None):
    """One POST with exactly these bytes (no client-side normalising); (status, json)."""
    s = connect(url)
    try:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host_header(url)}\r\n{auth_line(url)}"
                f"Content-Type: application/json\r\n")
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        status, answer, _ = push_body(s, head.encode() + body, 0)
        return status, answer
    finally:
        s.close()


def sized_body(url, path, total_bytes):
    """A POST announcing `total_bytes` with Content-Length; (status, json, bytes sent)."""
    s = connect(url)
    try:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host_header(url)}\r\n{auth_line(url)}"
                f"Content-Type: application/json\r\nContent-Length: {total_bytes}\r\n\r\n").encode()
        return push_body(s, head, total_bytes)
    finally:
        s.close()


def chunked_body(url, path, total_bytes):
    """A POST whose body comes in well-formed 1 MiB chunks, no length given; (status, json,
    bytes sent)."""
    s = connect(url)
    try:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host_header(url)}\r\n{auth_line(url)}"
                f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        chunk = f"{MIB:x}\r\n".encode() + b"x" * MIB + b"\r\n"
        return push_body(s, head, total_bytes, chunk)
    finally:
        s.close()


def vm_kb(pid, key="VmHWM"):
    """A process's memory from /proc (VmHWM: its peak resident set since start)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {key} for pid {pid}")


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def p50(samples):
    return sorted(samples)[len(samples) // 2]


def healthz(url):
    """(status, raw answer) of GET /healthz on a new connection."""
    s = connect(url)
    try:
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host_header(url)}\r\n"
                  "Connection: close\r\n\r\n".encode())
        s.settimeout(10)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ")[1]), data
    finally:
        s.close()


def timed_get(url, path):
    """Seconds for one GET on a new connection; raises on anything but 200."""
    start = time.perf_counter()
    status = healthz(url)[0] if path == "/healthz" else http("GET", url + path, timeout=10)[0]
    if status != 200:
        raise AssertionError(f"GET {path}: {status}")
    return time.perf_counter() - start


class SlowClients:
    """`half_open` connections that send nothing and `slowloris` ones that send a head a byte
    every half second, never ending it; closed on exit."""

    def __init__(self, url, half_open, slowloris):
        self.url, self.n_half_open, self.n_slow = url, half_open, slowloris
        self.stop = threading.Event()

    def __enter__(self):
        self.half_open = [connect(self.url) for _ in range(self.n_half_open)]
        self.slow = [connect(self.url) for _ in range(self.n_slow)]
        for s in self.slow:
            s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host_header(self.url)}\r\n".encode())
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()
        return self

    def _trickle(self):
        while not self.stop.wait(0.5):
            for s in self.slow:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for s in self.half_open + self.slow:
            s.close()


class LongPolls:
    """`count` clients each waiting on GET /api/changes?since=L&wait=S; results() after they
    answer: [(status, body, seconds)]."""

    def __init__(self, url, since, count, wait_s=30):
        self.results = []
        self.threads = [threading.Thread(target=self._wait, args=(url, since, wait_s), daemon=True)
                        for _ in range(count)]

    def _wait(self, url, since, wait_s):
        start = time.monotonic()
        status, body = http("GET", url + f"/api/changes?since={since}&wait={wait_s}",
                            timeout=wait_s + 30)
        self.results.append((status, body, time.monotonic() - start))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def join(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        for t in self.threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        return self.results
