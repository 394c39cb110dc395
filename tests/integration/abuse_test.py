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
import signal
import stat
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from abuse_clients import (LongPolls, SlowClients, chunked_body, connect, healthz,  # noqa: E402
                           p99, post_raw, read_answer, sized_body, timed_get, vm_kb)
from harness import Testbed, ctl, http, poll_until, tool  # noqa: E402

# Sync ports 27600.., API ports 28600..: clear of every other test's ranges.
BASE_PORT = int(os.environ.get("ABUSE_BASE_PORT", 27600))
GIB = 1 << 30
MIB = 1 << 20
RSS_LIMIT_KB = 64 * 1024
P99_LIMIT_S = 0.100
# The street's caps, small enough to fill from a test (written into its config after init).
CAP_TOTAL, CAP_CLIENT = 40, 20


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
        try:
            cls.tb.up()
        except Exception:
            cls.tb.down()  # the nodes that did start
            raise
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
        status, body, sent = sized_body(self.api, "/api/import", GIB)
        self.assertEqual(status, 413, body)
        self.assertLess(sent, 64 * MIB, "the refusal must come before the body is read")
        self.assertEqual(body["error"], "body_too_large")
        self.assertIn("api.max_body_bytes", body["message"])
        self.assertLess(vm_kb(self.pid), RSS_LIMIT_KB)
        self.assertEqual(healthz(self.api)[0], 200)

    def test_chunked_gib_body_is_refused_and_memory_stays_flat(self):
        status, body, sent = chunked_body(self.api, "/api/events/batch", GIB)
        self.assertLess(vm_kb(self.pid), RSS_LIMIT_KB)
        self.assertEqual(status, 411, body)
        self.assertEqual(body["error"], "length_required")
        self.assertLess(sent, 128 * MIB)

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
        since = self.tb.get("district", "/api/changes")["next"]
        with SlowClients(self.api, half_open=150, slowloris=150):
            polls = LongPolls(self.api, since, 50).start()
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
            results = polls.join(timeout_s=30)
        self.assertEqual(len(results), 50)
        for status, body, _ in results:
            self.assertEqual(status, 200, body)
            self.assertIn(created["id"], [c["case_id"] for c in body["changes"]])

    def test_a_head_that_never_ends_is_cut_at_read_timeout(self):
        before = self.status()["api_connections"]["read_timeouts"]
        s = connect(self.api)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        status, body = read_answer(s, timeout_s=30)  # api.read_timeout is 10 s by default
        self.assertEqual(status, 408, body)
        self.assertIn("api.read_timeout", body["message"])
        self.assertEqual(s.recv(100), b"", "then the node closes the connection")
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
        with urllib.request.urlopen(street + "/metrics", timeout=10) as r:
            metrics = r.read().decode()
        self.assertRegex(metrics, r'casesync_api_connections_refused_total\{reason="client_full"\} [1-9]')

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
        token = ("--token-file", self.tb.nodes["district"]["token_file"])  # the admin's
        out = ctl("--api", self.api, *token, "backup", target, "--json").stdout
        made = json.loads(out)
        self.assertEqual(os.path.getsize(target), made["bytes"])
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o600)
        with open(target, "rb") as f:
            self.assertEqual(f.read(16), b"SQLite format 3\x00")
        again = ctl("--api", self.api, *token, "backup", target, check=False)
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("exists already", again.stderr)


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
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
