#!/usr/bin/env python3
"""Proves stall detection with real daemons, the `always` calendar and deadlines of seconds: a
street that never accepts a forwarded case shows at the district as overdue and `silent` within
one detection interval after the deadline; a stopped street shows as `unreachable` (never silent);
the trace marks the stalled hop; the supervision figures count what happened."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, poll_until  # noqa: E402

BASE_PORT = int(os.environ.get("STALLS_BASE_PORT", 18300))
ACCEPT_S = 3
CHECK_S = 1
HEALTH_S = 1


class Stalls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-stalls-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=2, communities=1, base_port=BASE_PORT,
                         sets=["calendar=always", "deadlines.delivery=3s",
                               f"deadlines.accept={ACCEPT_S}s", "deadlines.answer=4s",
                               f"stall.check_interval={CHECK_S}s", f"health.interval={HEALTH_S}s",
                               "health.offline_after=5s", "sync.peer_timeout_ms=2000"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def stalled(self, node, case):
        """The node's overdue stalls of `case` as its last check found them (GET /api/stalled,
        the API `casesyncctl stalled --overdue` reads)."""
        return [s for s in self.tb.get(node, "/api/stalled?overdue=1") if s["case"] == case]

    def test_street_that_never_accepts_is_silent(self):
        cid = self.tb.post("district", "/api/cases", {"matter": "QY-001", "applicant": "A"})["id"]
        fwd = self.tb.post("district", f"/api/cases/{cid}/forward", {"to": "s01"})
        hop = fwd["hops"][-1]["hop"]
        poll_until("delivery receipt", lambda: self.tb.get("district", f"/api/cases/{cid}")
                   ["hops"][-1]["stage"] == "delivered", 10)
        # Attribution needs a health report from after the deadline: one report interval on top
        # of one detection interval. Measured on the district's clock: how overdue the hop was
        # at the check whose result this poll saw — one more check if the poll came late, and a
        # second for a busy machine delaying the daemon's loop — not how long this test took.
        got = poll_until("the accept stall at the district, attributed silent",
                         lambda: [x for x in self.stalled("district", cid)
                                  if x["attribution"] == "silent"], ACCEPT_S + 30)
        s = got[0]
        self.assertLessEqual(s["overdue_by"], 2 * CHECK_S + HEALTH_S + 1,
                             f"the stall was found {s['overdue_by']} s after its deadline")
        self.assertEqual((s["hop"], s["stage"], s["attribution"]), (hop, "accept", "silent"))
        self.assertGreaterEqual(s["overdue_by"], 0)
        trace = self.tb.get("district", f"/api/cases/{cid}/trace")
        self.assertEqual(trace["stalls"][0]["hop"], hop)
        # Accepting clears the accept stall.
        self.tb.post("s01", f"/api/cases/{cid}/accept", {})
        poll_until("the accept stall to clear", lambda: not [
            x for x in self.stalled("district", cid) if x["stage"] == "accept"], 10)
        stats = json.loads(ctl("--config", self.tb.nodes["district"]["config"], "stats",
                               "--from", "2000-01-01", "--to", "2100-01-01", "--json").stdout)
        by_node = {n["node"]: n for n in stats["nodes"]}
        self.assertGreaterEqual(by_node["s01"]["accepted"], 1)
        self.assertGreaterEqual(by_node["district"]["forwarded"], 1)

    def test_stopped_street_is_unreachable_never_silent(self):
        self.tb.stop("s02")
        try:
            cid = self.tb.post("district", "/api/cases", {"matter": "QY-001", "applicant": "B"})["id"]
            self.tb.post("district", f"/api/cases/{cid}/forward", {"to": "s02"})
            got = poll_until("the delivery stall at the district",
                             lambda: self.stalled("district", cid), 15)
            self.assertEqual(got[0]["stage"], "delivery")
            self.assertEqual(got[0]["attribution"], "unreachable")
        finally:
            self.tb.start("s02")


if __name__ == "__main__":
    unittest.main(verbosity=2)
