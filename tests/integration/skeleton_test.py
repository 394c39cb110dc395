#!/usr/bin/env python3
"""Proves the walking skeleton with real casesyncd processes on loopback: a case created at a
community reaches its street and the district (and no one else); a case the district forwards
reaches its target community only; and with the street killed -9 mid-stream and restarted,
5,000 events from a community arrive at the district exactly once."""

import os
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, poll_until, quiescent  # noqa: E402

BASE_PORT = int(os.environ.get("SKELETON_BASE_PORT", 18100))


def all_events(tb, node, origin=None):
    """Every event the node holds, as {(origin, seq): hash}, read through the changes feed."""
    out, after = {}, 0
    while True:
        page = tb.get(node, f"/api/events?after={after}&limit=5000")
        for e in page["events"]:
            if origin is None or e["origin"] == origin:
                key = (e["origin"], e["seq"])
                assert key not in out, f"{node} holds {key} twice"
                out[key] = e["hash"]
        if not page["events"]:
            return out
        after = page["next"]


class Skeleton(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-skeleton-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=2, communities=2, base_port=BASE_PORT,
                         sets=["sync.resend_timeout_ms=500", "sync.peer_timeout_ms=2000"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def cfg(self, node):
        return self.tb.nodes[node]["config"]

    def test_case_from_community_reaches_street_and_district_only(self):
        r = ctl("--config", self.cfg("s01-c01"), "case", "create", "--matter", "QY-001",
                "--applicant", "Wang Fang")
        cid = r.stdout.strip()
        self.assertTrue(cid.startswith("s01-c01-"), cid)
        for node in ("s01", "district"):
            poll_until(f"{cid} at {node}", lambda n=node: cid in self.tb.case_ids(n), 20)
        poll_until("links drained", lambda: quiescent(self.tb), 20)
        for node in ("s01-c02", "s02", "s02-c01", "s02-c02"):
            self.assertNotIn(cid, self.tb.case_ids(node), f"{cid} leaked to {node}")
        shown = self.tb.get("district", f"/api/cases/{cid}")
        self.assertEqual(shown["applicant"], "Wang Fang")
        self.assertEqual(shown["state_hash"], self.tb.get("s01-c01", f"/api/cases/{cid}")["state_hash"])

    def test_district_forward_reaches_target_not_siblings(self):
        c = self.tb.post("district", "/api/cases", {"matter": "SP-014", "applicant": "Sun Li"})
        cid = c["id"]
        fwd = ctl("--config", self.cfg("district"), "case", "forward", cid, "--to", "s02-c01")
        self.assertIn("forwarded", fwd.stdout)
        poll_until(f"{cid} at s02-c01", lambda: cid in self.tb.case_ids("s02-c01"), 20)
        self.assertIn(cid, self.tb.case_ids("s02"))
        poll_until("links drained", lambda: quiescent(self.tb), 20)
        for node in ("s02-c02", "s01", "s01-c01", "s01-c02"):
            self.assertNotIn(cid, self.tb.case_ids(node), f"{cid} leaked to {node}")
        at_target = self.tb.get("s02-c01", f"/api/cases/{cid}")
        self.assertEqual([e["kind"] for e in at_target["events"]],
                         ["case_created", "forwarded", "delivered"])
        # The target's daemon signed the delivery receipt; it travels back to the district.
        poll_until("the delivery receipt at the district", lambda: [
            e for e in self.tb.get("district", f"/api/cases/{cid}")["events"]
            if e["kind"] == "delivered" and e["origin"] == "s02-c01"], 20)

    def test_kill9_street_mid_stream_every_event_exactly_once(self):
        total, per_request = 5000, 250
        src = "s02-c02"
        # One case per request: a case holds at most 1,000 events (limits::kCaseEventsMax).
        cids = [self.tb.post(src, "/api/cases", {"matter": "QY-001", "applicant": f"Load {k}"})["id"]
                for k in range(total // per_request)]

        def writer():
            for i in range(total // per_request - 1):
                evs = [{"case_id": cids[i], "kind": "note", "body": {"n": str(i * per_request + j)}}
                       for j in range(per_request)]
                self.tb.post(src, "/api/events/batch", {"events": evs})

        t = threading.Thread(target=writer)
        t.start()
        # Kill the street once events are really flowing through it.
        poll_until("events flowing through s02",
                   lambda: len(all_events(self.tb, "district", src)) > 300, 30)
        self.tb.kill("s02")
        t.join()
        # The last request lands while the street is down: it must wait in the outbox.
        evs = [{"case_id": cids[-1], "kind": "note", "body": {"n": f"late-{j}"}}
               for j in range(per_request)]
        self.tb.post(src, "/api/events/batch", {"events": evs})
        self.tb.start("s02")
        expected = all_events(self.tb, src, src)
        self.assertEqual(len(expected), total + len(cids))  # + the case_created events
        poll_until("all 5,020 events at the district",
                   lambda: len(all_events(self.tb, "district", src)) == len(expected), 90)
        self.assertEqual(all_events(self.tb, "district", src), expected)
        self.assertEqual(all_events(self.tb, "s02", src), expected)


if __name__ == "__main__":
    unittest.main(verbosity=2)
