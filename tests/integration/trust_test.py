#!/usr/bin/env python3
"""Proves the root of trust end to end with real daemons: a roster not signed by the pinned root
is refused at startup; a new terminal is enrolled (request -> approve at the district), the new
roster propagates down the tree, and the terminal then syncs; a revoked terminal is refused at
the CURVE handshake (ZAP) everywhere and its new events never arrive, while its past events stay;
and revoking a terminal that is connected closes its session at once, without a restart; and
through all of it no honest node was ever refused for its identity, whichever outcome libzmq's
handshake race had for its connections."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, poll_until, tool  # noqa: E402

BASE_PORT = int(os.environ.get("TRUST_BASE_PORT", 18800))
NEW = "s01-c09"


class Trust(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-trust-")
        cls.dir = os.path.join(cls.tmp, "tb")
        cls.tb = Testbed(cls.dir, streets=1, communities=1, base_port=BASE_PORT,
                         sets=["sync.peer_timeout_ms=2000"])
        cls.tb.up()
        cls.new_proc = None

    @classmethod
    def tearDownClass(cls):
        if cls.new_proc:
            cls.new_proc.terminate()
            cls.new_proc.wait(10)
        cls.tb.down()

    def roster_version(self, node):
        return self.tb.get(node, "/api/status")["roster_version"]

    def test_1_roster_signed_by_another_root_is_refused(self):
        other = os.path.join(self.tmp, "other")
        os.makedirs(other)
        ctl("root", "init", "--out", other)
        forged = os.path.join(self.tmp, "forged.toml")
        shutil.copy(os.path.join(self.dir, "roster.toml"), forged)
        ctl("roster", "sign", forged, "--root-key", os.path.join(other, "root.key"))
        cfg = os.path.join(self.tmp, "forged-node.toml")
        text = open(self.tb.nodes["s01-c01"]["config"]).read()
        text = text.replace('roster = "../roster.toml"', f'roster = "{forged}"')
        text = text.replace('data_dir = "data"', f'data_dir = "{self.tmp}/forged-data"')
        text = text.replace('key_file = "node.key"',
                            f'key_file = "{self.dir}/s01-c01/node.key"')
        text = text.replace('matters = "../matters.toml"', f'matters = "{self.dir}/matters.toml"')
        open(cfg, "w").write(text)
        r = subprocess.run([tool("casesyncd"), "--config", cfg, "--check"], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("not signed by the pinned root key", r.stderr)

    def test_2_enroll_then_revoke(self):
        # The new terminal: its own key and config, modelled on its sibling's.
        node_dir = os.path.join(self.dir, NEW)
        os.makedirs(os.path.join(node_dir, "data"))
        ctl("keygen", "--secret", os.path.join(node_dir, "node.key"))
        ctl("admin-token", "new", "--out", os.path.join(node_dir, "admin.token"))
        sibling = open(self.tb.nodes["s01-c01"]["config"]).read()
        api_port = BASE_PORT + 1000 + 90
        cfg_text = sibling.replace('id = "s01-c01"', f'id = "{NEW}"')
        cfg_text = re.sub(r'listen = "127\.0\.0\.1:\d+"', f'listen = "127.0.0.1:{api_port}"', cfg_text)
        cfg = os.path.join(node_dir, "casesyncd.toml")
        open(cfg, "w").write(cfg_text)
        # Unlisted: the daemon refuses to start (and the street would refuse its key).
        r = subprocess.run([tool("casesyncd"), "--config", cfg, "--check"], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not in the roster", r.stderr)

        req = os.path.join(self.tmp, "req.json")
        ctl("--config", cfg, "enroll", "request", "--parent", "s01", "--out", req)
        self.assertNotIn("secret", open(req).read().lower())
        ctl("--config", self.tb.nodes["district"]["config"], "enroll", "approve", req,
            "--roster", os.path.join(self.dir, "roster.toml"),
            "--root-key", os.path.join(self.dir, "root.key"))
        for n in ("district", "s01", "s01-c01"):
            poll_until(f"roster v2 at {n}", lambda n=n: self.roster_version(n) >= 2, 20)

        log = open(os.path.join(node_dir, "casesyncd.log"), "a")
        type(self).new_proc = subprocess.Popen([tool("casesyncd"), "--config", cfg], stdout=log,
                                               stderr=log, cwd=node_dir)
        api = f"http://127.0.0.1:{api_port}"
        self.tb.adopt(NEW, api, cfg)
        poll_until("the new terminal's link up", lambda: any(
            l["state"] == "up" for l in self.tb.get(NEW, "/api/status")["links"]), 20)
        before = self.tb.post(NEW, "/api/cases", {"matter": "QY-001", "applicant": "Before"})["id"]
        poll_until("its case at the district", lambda: before in self.tb.case_ids("district"), 20)

        ctl("--config", self.tb.nodes["district"]["config"], "revoke", NEW,
            "--roster", os.path.join(self.dir, "roster.toml"),
            "--root-key", os.path.join(self.dir, "root.key"))
        poll_until("roster v3 at s01", lambda: self.roster_version("s01") >= 3, 20)
        denied_before = self.tb.get("s01", "/api/status")["transport"]["auth_denied"]
        # Reconnect: the handshake is now refused by the street's ZAP handler.
        self.new_proc.terminate()
        self.new_proc.wait(10)
        type(self).new_proc = subprocess.Popen([tool("casesyncd"), "--config", cfg], stdout=log,
                                               stderr=log, cwd=node_dir)
        poll_until("the revoked terminal answering its API", lambda: self.tb.get(NEW, "/api/status"), 20)
        # A terminal that already holds the roster revoking it refuses its own writes (403); one
        # that does not yet accepts them locally, and they must go nowhere. Either way: not upstream.
        try:
            after = self.tb.post(NEW, "/api/cases", {"matter": "QY-001", "applicant": "After"})["id"]
        except RuntimeError as e:
            self.assertIn("403", str(e))
            after = None
        poll_until("ZAP refusing the revoked key", lambda: self.tb.get(
            "s01", "/api/status")["transport"]["auth_denied"] > denied_before, 20)
        self.assertNotIn(after, self.tb.case_ids("s01"))
        self.assertNotIn(after, self.tb.case_ids("district"))
        self.assertIn(before, self.tb.case_ids("district"))  # its past events stay

    def test_3_revocation_closes_a_live_session(self):
        child, street = "s01-c01", "s01"
        status = lambda n: self.tb.get(n, "/api/status")  # noqa: E731
        link_up = lambda n, p: any(l["peer"] == p and l["state"] == "up"  # noqa: E731
                                   for l in status(n)["links"])
        poll_until(f"{child}'s session with {street} up", lambda: link_up(child, street), 20)
        cut_before = status(street)["transport"]["connections_cut_revoked"]
        refused_before = status(child)["transport"]["parent_refused"]
        version = self.roster_version(street)
        # The terminal keeps running: nothing but the roster tells the street to hang up.
        ctl("--config", self.tb.nodes["district"]["config"], "revoke", child,
            "--roster", os.path.join(self.dir, "roster.toml"),
            "--root-key", os.path.join(self.dir, "root.key"))
        poll_until(f"the new roster at {street}", lambda: self.roster_version(street) > version, 20)
        # The terminal saw its session end and its redial refused by the street's ZAP handler.
        poll_until(f"{child} refused when it dials {street} again",
                   lambda: status(child)["transport"]["parent_refused"] > refused_before, 20)
        self.assertFalse(link_up(child, street), f"{child}'s session with {street} is still up")
        self.assertFalse(link_up(street, child), f"{street} still counts {child}'s link as up")
        self.assertGreater(status(street)["transport"]["connections_cut_revoked"], cut_before)

    def test_4_no_honest_node_was_refused_for_its_identity(self):
        # Every node here is honest (the revoked ones were refused at ZAP, never for identity).
        # On a busy machine about half of all handshakes end with libzmq's own routing id
        # rather than the one ZAP assigned (docs/ARCHITECTURE.md, Trust): each must pass.
        for node in ("district", "s01"):
            st = self.tb.get(node, "/api/status")
            with self.subTest(node=node):
                self.assertEqual(st["transport"]["identity_mismatch"], 0, st["transport"])
                self.assertEqual(st["counters"]["rejects"].get("identity_mismatch", 0), 0)
                self.assertEqual(st["penalty"]["bans"], 0, st["penalty"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
