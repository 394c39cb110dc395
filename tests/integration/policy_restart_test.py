#!/usr/bin/env python3
"""Proves with real daemons that the policy lag clock and the "moved by" note survive a restart:
the time a newer policy version was first known at a node is the same after the daemon restarts
(not the restart time), and a stopped node is lagging by that clock; the deadline defaults a
bundle carries ([deadlines] in the matters file) reach every node, move a pending hop's due time,
and `case trace` says which version moved it, before and after a restart of the node."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, ctl, poll_until  # noqa: E402
from policy_bed import PolicyBed  # noqa: E402

BASE_PORT = int(os.environ.get("POLICY_RESTART_BASE_PORT", 22700))
CALENDAR_2027 = os.path.join(ROOT, "config", "testdata", "calendar_2027.toml")
PUBLISH_BOUND_S = 30  # the bound: every node follows within 30 s
LAG_ALERT_S = 5


class PolicyRestart(PolicyBed, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_bed("casesync-policy-restart-", BASE_PORT, LAG_ALERT_S)
        with open(os.path.join(cls.dir, "matters.toml"), encoding="utf-8") as f:
            catalogue = f.read()
        # The district's deadline defaults: two working hours to sign for a case (4h built in).
        cls.matters = os.path.join(cls.tmp, "matters-with-deadlines.toml")
        with open(cls.matters, "w", encoding="utf-8") as f:
            f.write(catalogue + '\n[deadlines]\naccept = "2h"\nwarn_fraction = 0.5\n')

    def trace(self, node, case):
        return json.loads(ctl("--config", self.cfg(node), "case", "trace", case, "--json").stdout)

    def hop_due(self, node, case):
        hops = self.trace(node, case)["hops"]
        return hops[0] if hops and hops[0].get("due_stage") == "accept" else None

    def test_lag_clock_and_moved_note_survive_restarts(self):
        # A hop waiting to be signed for at the street, its due time under the built-in 4h.
        case = json.loads(ctl("--config", self.cfg("s01-c01"), "case", "create", "--matter",
                              "MZ-003", "--applicant", "Li Wei", "--json").stdout)["id"]
        ctl("--config", self.cfg("s01-c01"), "case", "forward", case, "--to", "s01")
        before = poll_until("the hop delivered and waiting to be signed for",
                            lambda: self.hop_due("s01-c01", case), PUBLISH_BOUND_S)
        self.assertEqual(before["due_policy_version"], 0)
        self.assertNotIn("due_moved_by_policy", before)
        # s01-c02 reported (so the district has a row to compare), then stops during the publish.
        self.wait_reported("s01-c02")
        self.tb.stop("s01-c02")
        r = ctl("--config", self.cfg("district"), "policy", "publish", "--calendar",
                CALENDAR_2027, "--matters", self.matters, "--root-key", self.root_key)
        self.assertEqual(r.stdout.strip(), "1")
        running = ["district", "s01", "s01-c01"]
        poll_until("policy version 1 at every running node",
                   lambda: all(self.show(n)["version"] == 1 for n in running), PUBLISH_BOUND_S)
        for n in running:
            self.assertEqual(self.show(n)["deadlines"], {"accept": "2h", "warn_fraction": 0.5})
        known = {n: self.show(n)["newest_known_since"] for n in running}
        self.assertTrue(all(known.values()), known)
        poll_until("s01-c02 lagging at the district", lambda: self.lag_warning("s01-c02"),
                   LAG_ALERT_S + 30)

        # The deadline default moved the pending hop's due time; the trace says so.
        moved = poll_until("the hop's due time under policy 1", lambda: (
            lambda h: h if h and h["due_policy_version"] == 1 else None)(
                self.hop_due("s01-c01", case)), PUBLISH_BOUND_S)
        self.assertEqual(moved["due_moved_by_policy"], 1)
        self.assertEqual(moved["due_before"], before["due"])
        self.assertLess(moved["due"], before["due"])  # 2 working hours instead of 4

        for n in running:
            self.tb.stop(n)
        for n in running:
            self.tb.start(n)
        # The clock is when version 1 was first known, not the restart.
        for n in running:
            self.assertEqual(self.show(n)["newest_known_since"], known[n], n)
        # And the note is still there after the restart, in JSON and in the text.
        after = poll_until("the hop's due time after the restart",
                           lambda: self.hop_due("s01-c01", case), PUBLISH_BOUND_S)
        self.assertEqual((after["due"], after["due_moved_by_policy"], after["due_before"]),
                         (moved["due"], 1, before["due"]))
        text = ctl("--config", self.cfg("s01-c01"), "case", "trace", case).stdout
        self.assertIn("moved by policy v1, was " + before["due"], text)

        # The stopped node catches up when started and is no longer lagging.
        self.tb.start("s01-c02")
        poll_until("s01-c02 at policy 1", lambda: self.show("s01-c02")["version"] == 1,
                   PUBLISH_BOUND_S)
        self.assertEqual(self.show("s01-c02")["deadlines"]["accept"], "2h")
        poll_until("s01-c02 no longer lagging", lambda: self.lag_warning("s01-c02") is None, 30)


if __name__ == "__main__":
    unittest.main(verbosity=2)
