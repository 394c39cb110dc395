#!/usr/bin/env python3
"""Proves the outbox cap (issue 22, sync/outbox_cap.h) with real daemons: while the district is
down, a street's outbox toward it passes a small sync.outbox_bytes_max and is dropped (counted in
/metrics, shown in status, kept across a restart of the street); once the district is back it
gets a catch-up re-send and ends holding every event of the street's subtree, and the street's
uplink drains."""

import os
import re
import shutil
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, event_keys, link_of, log, poll_until  # noqa: E402

BASE_PORT = int(os.environ.get("OUTBOX_CAP_BASE_PORT", 22900))
STREET, COMMUNITIES = "s01", ("s01-c01", "s01-c02")
CAP_BYTES = 4096  # a handful of events: the cases below pass it several times
CASES_EACH = 15


def metric(tb, node, name, peer):
    with urllib.request.urlopen(tb.api(node) + "/metrics", timeout=30) as r:
        text = r.read().decode()
    m = re.search(r'^%s\{peer="%s"\} (\S+)$' % (re.escape(name), re.escape(peer)), text, re.M)
    return float(m.group(1)) if m else 0.0


class OutboxCapAndCatchUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-outbox-cap-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=2,
                         base_port=BASE_PORT,
                         sets=["sync.peer_timeout_ms=2000", f"sync.outbox_bytes_max={CAP_BYTES}"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def subtree_keys(self, node):
        return {k for k in event_keys(self.tb, node) if k[0] == STREET or k[0].startswith(STREET + "-")}

    def test_a_capped_outbox_is_caught_up_when_the_parent_returns(self):
        tb = self.tb
        tb.stop("district")
        made = []
        for i in range(CASES_EACH):
            for node in (STREET, *COMMUNITIES):
                made.append(tb.post(node, "/api/cases", {"matter": "QY-001",
                                                         "applicant": f"{node} {i}"})["id"])
        poll_until(f"{STREET} holds every case of its subtree",
                   lambda: set(made) <= tb.case_ids(STREET), 60)
        poll_until(f"{STREET}'s outbox toward the district capped",
                   lambda: metric(tb, STREET, "casesync_peer_outbox_capped_total", "district") >= 1,
                   60)
        dropped = metric(tb, STREET, "casesync_peer_outbox_dropped_events_total", "district")
        log(f"{STREET} dropped {dropped:.0f} queued events toward the district")
        self.assertGreater(dropped, 0)
        self.assertTrue(link_of(tb, STREET, "district")["outbox_capped"])
        self.assertLess(link_of(tb, STREET, "district")["backlog_events"], len(made))

        # The mark is on disk: a restart of the street keeps it.
        tb.stop(STREET)
        tb.start(STREET)
        self.assertTrue(link_of(tb, STREET, "district")["outbox_capped"])

        tb.start("district")
        expected = self.subtree_keys(STREET)
        self.assertGreaterEqual(len(expected), len(made))
        poll_until("every event of the street's subtree at the district",
                   lambda: expected <= self.subtree_keys("district"), 90)
        self.assertTrue(set(made) <= tb.case_ids("district"))
        poll_until(f"{STREET}'s uplink drained and unmarked",
                   lambda: link_of(tb, STREET, "district")["backlog_events"] == 0 and
                   not link_of(tb, STREET, "district")["outbox_capped"], 60)
        caught_up = tb.get(STREET, "/api/status")["counters"]["peers"]["district"]["catch_up_events"]
        log(f"{STREET} queued {caught_up} events again for the district")
        self.assertGreater(caught_up, 0)
        self.assertEqual(tb.get("district", "/api/status")["counters"]["equivocations"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
