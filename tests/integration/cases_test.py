#!/usr/bin/env python3
"""Proves cases and hops across real daemons: a case travels community -> street -> district desk
and back with signed receipts, and its trace is identical at all three nodes; concurrent actions
on both sides of a partition (the street stopped in between) resolve identically everywhere once
it heals, and `conflicts` lists the resolutions; the ID number is masked except with --full."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, poll_until, quiescent  # noqa: E402

BASE_PORT = int(os.environ.get("CASES_BASE_PORT", 18200))


class Cases(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-cases-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=2, communities=1,
                         base_port=BASE_PORT, sets=["sync.resend_timeout_ms=500"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def cli(self, node, *args):
        return ctl("--config", self.tb.nodes[node]["config"], *args)

    def cli_json(self, node, *args):
        return json.loads(self.cli(node, *args, "--json").stdout)

    def settle(self):
        poll_until("links drained", lambda: quiescent(self.tb), 30)

    def stage(self, node, cid, hop, stage):
        def ok():
            hops = {h["hop"]: h for h in self.tb.get(node, f"/api/cases/{cid}")["hops"]}
            return hop in hops and hops[hop]["stage"] == stage
        poll_until(f"hop {hop} {stage} at {node}", ok, 20)

    def test_round_trip_with_receipts_and_identical_trace(self):
        c = self.cli_json("s01-c01", "case", "create", "--matter", "SP-014", "--applicant",
                          "Chen Jie", "--id-number", "110105199001011234",
                          "--material", "申请书", "--material", "营业执照")
        cid = c["id"]
        self.assertEqual(c["id_number"], "110*************34")
        fwd = self.cli_json("s01-c01", "case", "forward", cid, "--to", "s01")
        hop1 = fwd["hops"][-1]["hop"]
        self.stage("s01", cid, hop1, "delivered")          # s01's daemon signed the receipt
        self.cli("s01", "case", "accept", cid)
        up = self.cli_json("s01", "case", "forward", cid, "--to", "district", "--desk", "market")
        hop2 = up["hops"][-1]["hop"]
        self.stage("district", cid, hop2, "delivered")
        self.cli("district", "case", "accept", cid)
        self.cli("district", "case", "reply", cid, "--outcome", "approved")
        self.stage("s01", cid, hop2, "answered")
        self.cli("s01", "case", "reply", cid, "--outcome", "approved")
        self.stage("s01-c01", cid, hop1, "answered")
        self.cli("s01-c01", "case", "complete", cid, "--outcome", "approved")
        self.cli("s01-c01", "case", "notify", cid, "--channel", "SMS")
        self.settle()
        traces = {n: self.cli_json(n, "case", "trace", cid) for n in ("s01-c01", "s01", "district")}
        self.assertEqual(traces["s01-c01"], traces["s01"])
        self.assertEqual(traces["s01-c01"], traces["district"])
        t = traces["district"]
        self.assertEqual(t["status"], "completed")
        self.assertEqual([h["to"] for h in t["hops"]], ["s01", "district"])
        for h in t["hops"]:
            for k in ("forwarded_at", "delivered_at", "accepted_at", "answered_at"):
                self.assertIsNotNone(h[k], f"{h['hop']} lacks {k}")
        # Masked everywhere but --full at a node holding the case.
        shown = self.cli_json("district", "case", "show", cid)
        self.assertEqual(shown["id_number"], "110*************34")
        self.assertNotIn("110105199001011234", json.dumps(shown))
        full = self.cli_json("district", "case", "show", cid, "--full")
        self.assertEqual(full["id_number"], "110105199001011234")
        self.assertNotIn(cid, self.tb.case_ids("s02"))

    def test_refusals_are_clear(self):
        r = ctl("--config", self.tb.nodes["s01-c01"]["config"], "case", "create",
                "--matter", "NOPE-1", "--applicant", "X", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown matter code", r.stderr)
        cid = self.cli_json("s02", "case", "create", "--matter", "QY-001", "--applicant", "Y")["id"]
        r = ctl("--config", self.tb.nodes["s02"]["config"], "case", "reopen", cid, "--reason", "x",
                check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("only the district may reopen", r.stderr)
        r = ctl("--config", self.tb.nodes["s02"]["config"], "case", "supplement", cid, check=False)
        self.assertIn("一次性告知", r.stderr)

    def test_partition_concurrent_actions_converge_and_are_listed(self):
        cid = self.cli_json("s02-c01", "case", "create", "--matter", "QY-001", "--applicant",
                            "Zhao Lei")["id"]
        self.cli("s02-c01", "case", "forward", cid, "--to", "district")
        # The forward may land a batch after the creation: wait for the hop itself.
        poll_until("the forwarded case at the district", lambda: cid in self.tb.case_ids("district")
                   and self.tb.get("district", f"/api/cases/{cid}")["hops"], 20)
        self.cli("district", "case", "accept", cid)
        self.settle()
        self.tb.stop("s02")  # the community and the district can no longer see each other
        self.cli("district", "case", "edit", cid, "--field", "priority", "--value", "high")
        # The case was received at the community: the district completes it as district admin.
        self.cli("district", "case", "complete", cid, "--outcome", "approved",
                 "--as-district-admin")
        self.cli("s02-c01", "case", "edit", cid, "--field", "priority", "--value", "low")
        self.cli("s02-c01", "case", "withdraw", cid, "--reason", "applicant moved away")
        self.tb.start("s02")
        self.settle()
        states = {n: self.tb.get(n, f"/api/cases/{cid}") for n in ("s02-c01", "s02", "district")}
        hashes = {n: s["state_hash"] for n, s in states.items()}
        self.assertEqual(len(set(hashes.values())), 1, hashes)
        s = states["district"]
        self.assertEqual(s["status"], "completed")  # the higher level wins a terminal race
        rules = {c["rule"] for c in self.cli_json("s02-c01", "conflicts") if c["case"] == cid}
        self.assertIn("terminal_race", rules)
        self.assertEqual(rules, {c["rule"] for c in self.cli_json("district", "conflicts")
                                 if c["case"] == cid})

    def test_changes_feed_long_polls_and_import_is_all_or_nothing(self):
        import threading
        node = "s02"
        since = self.tb.get(node, "/api/changes?since=0&limit=10000")["next"]
        got = {}

        def waiter():
            got["r"] = self.tb.get(node, f"/api/changes?since={since}&wait=20")

        t = threading.Thread(target=waiter)
        t.start()
        lines = [json.dumps({"matter": "QY-001", "applicant": f"Legacy {i}", "legacy_id": f"L-{i}"})
                 for i in range(3)]
        path = os.path.join(self.tmp, "import.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        out = json.loads(self.cli(node, "import", path, "--json").stdout)
        self.assertEqual(out["imported"], 3)
        t.join(25)
        self.assertFalse(t.is_alive(), "long-poll did not return after new events")
        kinds = {c["kind"] for c in got["r"]["changes"]}
        self.assertEqual(kinds, {"case_created"})
        self.assertTrue(set(out["ids"]) <= {c["case_id"] for c in self.tb.get(
            node, f"/api/changes?since={since}")["changes"]})
        # One bad line refuses the whole file, naming the line.
        with open(path, "w") as f:
            f.write(lines[0] + "\n" + json.dumps({"matter": "BAD", "applicant": "x"}) + "\n")
        before = len(self.tb.case_ids(node))
        r = ctl("--config", self.tb.nodes[node]["config"], "import", path, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("line 2", r.stderr)
        self.assertEqual(len(self.tb.case_ids(node)), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
