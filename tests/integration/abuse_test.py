#!/usr/bin/env python3
"""Proves issue 24 with real daemons: a 1 GiB body (sized or chunked) is refused before it is
read while the node's memory stays under 64 MiB; oversize input is 411/413/415, never 500;
/healthz and ordinary requests answer within 100 ms p99 while 300 half-open and slowloris
connections and 50 long-polls are open, and the long-polls still answer; a slow head is cut at
api.read_timeout; the per-client and overall connection caps hold; backups go only into
paths.backup_dir, never over a file, 0600; a plain `casesyncd` start makes its data folder 0700
and its files 0600."""

import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, http, poll_until, tool  # noqa: E402

# Sync ports 27600.., API ports 28600..: clear of every other test's ranges.
BASE_PORT = int(os.environ.get("ABUSE_BASE_PORT", 27600))
GIB = 1 << 30
MIB = 1 << 20
RSS_LIMIT_KB = 64 * 1024
P99_LIMIT_S = 0.100
# The street's caps, small enough to fill from a test (written into its config after init).
CAP_TOTAL, CAP_CLIENT = 40, 20


def host_port(url):
    u = urllib.parse.urlparse(url)
    return u.hostname, u.port


def connect(url, source="127.0.0.1"):
    s = socket.create_connection(host_port(url), timeout=10, source_address=(source, 0))
    return s


def read_answer(sock, timeout_s=10):
    """(status, parsed JSON or None) of one answer on `sock`, reading until the body is whole
    or the peer closes."""
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


def push_body(sock, head, total_bytes, chunk_bytes=MIB):
    """Sends `head`, then up to `total_bytes` of body while watching for an early answer.
    Returns (status, json, body bytes sent when the answer came)."""
    sock.sendall(head)
    sock.setblocking(False)
    chunk = b"x" * chunk_bytes
    sent = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock] if sent < total_bytes else [], [], 5)
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


def vm_hwm_kb(pid):
    """The daemon's peak resident memory since it started, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM for pid {pid}")


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def timed_get(url, path):
    """Seconds for one GET on a new connection; fails on a non-200."""
    start = time.perf_counter()
    status, _ = http("GET", url + path, timeout=10) if path != "/healthz" else healthz(url)
    if status != 200:
        raise AssertionError(f"GET {path}: {status}")
    return time.perf_counter() - start


def healthz(url):
    s = connect(url)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
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


class Abuse(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-abuse-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=0,
                         base_port=BASE_PORT)
        street_cfg = os.path.join(cls.tb.dir, "s01", "casesyncd.toml")
        with open(street_cfg) as f:
            text = f.read()
        with open(street_cfg, "w") as f:
            f.write(text.replace("[api]\n", f"[api]\nmax_connections = {CAP_TOTAL}\n"
                                            f"max_connections_per_client = {CAP_CLIENT}\n"))
        cls.tb.up()
        cls.api = cls.tb.api("district")
        cls.pid = cls.tb.nodes["district"]["pid"]
        cls.matter = cls.tb.get("district", "/api/matters")[0]["code"]

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def status(self, node="district"):
        return self.tb.get(node, "/api/status")

    def new_case(self, **extra):
        body = {"matter": self.matter, "applicant": "张三", "id_number": "110101199003077777"}
        body.update(extra)
        return http("POST", self.api + "/api/cases", body)

    # ---- bodies

    def test_sized_gib_body_is_refused_before_it_is_read(self):
        s = connect(self.api)
        head = (f"POST /api/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {GIB}\r\n\r\n").encode()
        status, body, sent = push_body(s, head, GIB)
        s.close()
        self.assertEqual(status, 413, body)
        self.assertEqual(body["error"], "body_too_large")
        self.assertIn("api.max_body_bytes", body["message"])
        self.assertLess(sent, 64 * MIB, "the refusal must come before the body is read")
        self.assertLess(vm_hwm_kb(self.pid), RSS_LIMIT_KB)
        self.assertEqual(healthz(self.api)[0], 200)

    def test_chunked_gib_body_is_refused_and_memory_stays_flat(self):
        s = connect(self.api)
        head = (b"POST /api/events/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        status, body, sent = push_body(s, head, GIB)
        s.close()
        self.assertEqual(status, 411, body)
        self.assertEqual(body["error"], "length_required")
        self.assertLess(sent, 128 * MIB)
        self.assertLess(vm_hwm_kb(self.pid), RSS_LIMIT_KB)

    def test_body_over_the_configured_limit_is_413(self):
        line = json.dumps({"matter": self.matter, "applicant": "x" * 150}) + "\n"
        text = (line * (9 * MIB // len(line) + 1)).encode()
        status, body = post_raw(self.api, "/api/import", text)
        self.assertEqual(status, 413, body)
        self.assertIn(str(8 * MIB), body["message"])

    def test_compressed_body_is_415(self):
        status, body = post_raw(self.api, "/api/cases", b"\x1f\x8b\x08\x00",
                                {"Content-Encoding": "gzip"})
        self.assertEqual(status, 415, body)
        self.assertEqual(body["error"], "unsupported_encoding")

    def test_oversize_events_are_413_never_500(self):
        big = "字" * 1000
        status, created = self.new_case()
        self.assertEqual(status, 201, created)
        cid = created["id"]
        attempts = [
            ("/api/cases", {"matter": self.matter, "applicant": "x",
                            "fields": {f"k{i}": big for i in range(64)}}),
            (f"/api/cases/{cid}/events", {"kind": "note", "body": {f"f{i}": big for i in range(60)}}),
            ("/api/events/batch", {"events": [{"case_id": cid, "kind": "note",
                                               "body": {f"f{i}": big for i in range(60)}}]}),
        ]
        for path, body in attempts:
            with self.subTest(path=path):
                status, out = http("POST", self.api + path, body)
                self.assertEqual(status, 413, out)
                self.assertEqual(out["error"], "body_too_large")
        errors = self.status()["api_error_responses"]
        self.assertNotIn("500", errors)

    # ---- slow clients, waiters, caps

    def test_healthz_answers_under_slow_connections_and_waiters(self):
        half_open = [connect(self.api) for _ in range(150)]
        slow = [connect(self.api) for _ in range(150)]
        stop = threading.Event()

        def trickle():  # slowloris: a head that never ends, a byte at a time
            for s in slow:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(0.5):
                for s in slow:
                    try:
                        s.sendall(b"X")
                    except OSError:
                        pass

        since = self.tb.get("district", "/api/changes")["next"]
        results = []

        def wait_for_changes():
            start = time.monotonic()
            status, body = http("GET", self.api + f"/api/changes?since={since}&wait=30", timeout=60)
            results.append((status, body, time.monotonic() - start))

        trickler = threading.Thread(target=trickle)
        trickler.start()
        waiters = [threading.Thread(target=wait_for_changes) for _ in range(50)]
        for w in waiters:
            w.start()
        try:
            poll_until("50 parked long-polls and 300 slow connections",
                       lambda: (lambda c: c["parked"] >= 50 and c["open"] >= 350)(
                           self.status()["api_connections"]), timeout_s=30)
            health = [timed_get(self.api, "/healthz") for _ in range(300)]
            ordinary = [timed_get(self.api, "/api/status") for _ in range(100)]
            conns = self.status()["api_connections"]
            self.assertGreaterEqual(conns["open"], 350, "the slow connections were still open")
            print(f"healthz p99 {p99(health) * 1000:.1f} ms, /api/status p99 "
                  f"{p99(ordinary) * 1000:.1f} ms with {conns['open']} open, "
                  f"{conns['parked']} parked", flush=True)
            self.assertLess(p99(health), P99_LIMIT_S)
            self.assertLess(p99(ordinary), P99_LIMIT_S)
            status, created = self.new_case()
            self.assertEqual(status, 201, created)
            for w in waiters:
                w.join(timeout=30)
            self.assertEqual(len(results), 50)
            for status, body, _ in results:
                self.assertEqual(status, 200, body)
                self.assertIn(created["id"], [c["case_id"] for c in body["changes"]])
        finally:
            stop.set()
            trickler.join()
            for s in half_open + slow:
                s.close()

    def test_a_head_that_never_ends_is_cut_at_read_timeout(self):
        before = self.status()["api_connections"]["read_timeouts"]
        s = connect(self.api)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        s.settimeout(30)  # api.read_timeout is 10 s by default
        self.assertEqual(s.recv(100), b"", "the node closes the connection")
        s.close()
        self.assertGreater(self.status()["api_connections"]["read_timeouts"], before)

    def test_connection_caps_per_client_and_overall(self):
        street = self.tb.api("s01")
        # The front admits connections in the order they arrive: the extra one after the others.
        held = [connect(street, "127.0.0.5") for _ in range(CAP_CLIENT)]
        try:
            extra = connect(street, "127.0.0.5")
            status, body = read_answer(extra)
            extra.close()
            self.assertEqual(status, 503, body)
            self.assertIn("max_connections_per_client", body["message"])
            self.assertEqual(healthz(street)[0], 200, "another address is still served")
            held += [connect(street, "127.0.0.6") for _ in range(CAP_TOTAL - CAP_CLIENT)]
            full = connect(street, "127.0.0.7")
            status, body = read_answer(full)
            full.close()
            self.assertEqual(status, 503, body)
            self.assertIn("api.max_connections", body["message"])
        finally:
            for s in held:
                s.close()
        poll_until("the street serves again once they closed", lambda: healthz(street)[0] == 200)
        conns = self.status("s01")["api_connections"]
        self.assertGreaterEqual(conns["refused_client_full"], 1)
        self.assertGreaterEqual(conns["refused_node_full"], 1)

    # ---- backups

    def test_backups_only_into_the_backup_folder(self):
        backup_dir = os.path.join(self.tb.dir, "district", "data", "backup")
        outside = os.path.join(self.tmp, "outside.db")
        status, body = http("POST", self.api + "/api/backup", {"path": outside})
        self.assertEqual(status, 400, body)
        self.assertFalse(os.path.exists(outside))
        for name in ["../escape.db", "a/b.db", "..", ".hidden"]:
            with self.subTest(name=name):
                status, body = http("POST", self.api + "/api/backup", {"name": name})
                self.assertEqual(status, 400, body)
                self.assertEqual(body["field"], "name")
        self.assertFalse(os.path.exists(os.path.join(self.tb.dir, "district", "data", "escape.db")))
        status, made = http("POST", self.api + "/api/backup", {"name": "first.db"})
        self.assertEqual(status, 201, made)
        self.assertEqual(made["path"], os.path.join(backup_dir, "first.db"))
        self.assertEqual(stat.S_IMODE(os.stat(made["path"]).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(backup_dir).st_mode), 0o700)
        # Never over an existing file, whoever made it.
        status, body = http("POST", self.api + "/api/backup", {"name": "first.db"})
        self.assertEqual(status, 409, body)
        keep = os.path.join(backup_dir, "not-a-backup.db")
        with open(keep, "w") as f:
            f.write("precious")
        status, body = http("POST", self.api + "/api/backup", {"name": "not-a-backup.db"})
        self.assertEqual(status, 409, body)
        with open(keep) as f:
            self.assertEqual(f.read(), "precious")

    def test_cli_backup_streams_into_a_new_file(self):
        status, created = self.new_case()
        self.assertEqual(status, 201, created)
        target = os.path.join(self.tmp, "cli-backup.db")
        out = ctl("--api", self.api, "backup", target, "--json").stdout
        made = json.loads(out)
        self.assertEqual(os.path.getsize(target), made["bytes"])
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o600)
        with open(target, "rb") as f:
            self.assertEqual(f.read(16), b"SQLite format 3\x00")
        again = ctl("--api", self.api, "backup", target, check=False)
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("exists already", again.stderr)


def post_raw(url, path, body, headers=None):
    s = connect(url)
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        status, answer, _ = push_body(s, head.encode() + body, 0)
        return status, answer
    finally:
        s.close()


class PlainStart(unittest.TestCase):
    """casesyncd started by hand from a shell with umask 022, outside systemd and the testbed."""

    def test_data_folder_and_files_are_private(self):
        tmp = tempfile.mkdtemp(prefix="casesync-modes-")
        tb_dir = os.path.join(tmp, "tb")
        Testbed(tb_dir, streets=0, communities=0, base_port=BASE_PORT + 50)
        node_dir = os.path.join(tb_dir, "district")
        cfg = os.path.join(node_dir, "casesyncd.toml")
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.replace('data_dir = "data"', 'data_dir = "fresh/data"'))
        api = f"http://127.0.0.1:{BASE_PORT + 50 + 1000}"
        log = open(os.path.join(tmp, "plain.log"), "w")
        proc = subprocess.Popen([tool("casesyncd"), "--config", cfg], stdout=log, stderr=log,
                                preexec_fn=lambda: os.umask(0o022))
        try:
            poll_until("the plain daemon answers", lambda: healthz(api)[0] == 200)
            matter = http("GET", api + "/api/matters")[1][0]["code"]
            status, _ = http("POST", api + "/api/cases", {"matter": matter, "applicant": "李四"})
            self.assertEqual(status, 201)
            status, made = http("POST", api + "/api/backup", {})
            self.assertEqual(status, 201, made)
            data = os.path.join(node_dir, "fresh", "data")
            self.assertEqual(stat.S_IMODE(os.stat(data).st_mode), 0o700)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(made["path"])).st_mode), 0o700)
            files = [os.path.join(data, n) for n in ("casesync.db", "casesync.db-wal",
                                                     "casesync.db-shm")] + [made["path"]]
            for path in files:
                with self.subTest(path=path):
                    self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            log.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
