"""Fallback parent, with real daemons on loopback (issue: weak networks).

A community whose roster entry names the district as its fallback parent keeps syncing when
its street is down: after sync.fallback_after_ms it dials the district directly, its events
reach the district that way, and when the street is back it returns to it. Every event is held
exactly once everywhere, the street included (it gets what it missed from the community's
outbox, which kept every upward event for it)."""

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, event_keys, log, poll_until  # noqa: E402

BASE_PORT = int(os.environ.get("FALLBACK_BASE_PORT", 24300))
FALLBACK_AFTER_MS = 3000
LATE_FRAMES_MS = 500  # see the fallback check below
EVENTS_WHILE_STREET_DOWN = 300



def parent_link(status):
    for link in status["links"]:
        if link["direction"] in ("parent", "fallback_parent") and link["state"] == "up":
            return link
    return None


class FallbackParentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-fallback-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=1,
                         base_port=BASE_PORT,
                         sets=[f"sync.fallback_after_ms={FALLBACK_AFTER_MS}",
                               "sync.heartbeat_interval_ms=300", "sync.peer_timeout_ms=1500"],
                         init_args=["--community-fallback", "district"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def write_notes(self, node, case_id, first, count):
        self.tb.post(node, "/api/events/batch", {"events": [
            {"case_id": case_id, "kind": "note", "body": {"text": f"n{i}"}}
            for i in range(first, first + count)]})

    def test_street_down_community_syncs_through_the_district_and_returns(self):
        tb, community, street = self.tb, "s01-c01", "s01"
        case = tb.post(community, "/api/cases", {"matter": "QY-001", "applicant": "x"})
        poll_until("the case at the district through the street",
                   lambda: case["id"] in tb.case_ids("district"), 30, 0.1)
        self.assertEqual(tb.get(community, "/api/status")["current_parent"], street)

        tb.stop(street)
        stopped_at = time.monotonic()
        self.write_notes(community, case["id"], 0, EVENTS_WHILE_STREET_DOWN)
        written = set(event_keys(tb, community, community))

        def on_fallback():
            st = tb.get(community, "/api/status")
            link = parent_link(st)
            if st["current_parent"] == "district" and link and link["peer"] == "district" \
                    and link["direction"] == "fallback_parent":
                return st
            return None
        switched = poll_until("the community syncing through its fallback, the district",
                              on_fallback, 30, 0.1)
        switched_s = time.monotonic() - stopped_at
        # Not before fallback_after, on the community's own clock: when it was first seen on the
        # fallback it had not heard from its street for about that long (the test's clock would
        # count from when `testbed stop` returned, which a busy machine delays). The timer runs
        # from the link going down; frames the street sent while draining can be read just after
        # the disconnect (ZeroMQ reports it on another socket): LATE_FRAMES_MS allows for them.
        silent_ms = next(link["last_heard_ms_ago"] for link in switched["links"]
                         if link["peer"] == street)
        poll_until("every community event at the district through the fallback",
                   lambda: set(event_keys(tb, "district", community)) >= written, 60, 0.2)
        log(f"fallback: seen {switched_s:.1f} s after the street stopped, {silent_ms} ms after "
            f"the community last heard from it (fallback_after {FALLBACK_AFTER_MS} ms); "
            f"{len(written)} events through it")
        self.assertGreaterEqual(silent_ms, FALLBACK_AFTER_MS - LATE_FRAMES_MS)

        tb.start(street)
        poll_until("the community back on its street",
                   lambda: tb.get(community, "/api/status")["current_parent"] == street
                   and (parent_link(tb.get(community, "/api/status")) or {}).get("peer") == street,
                   30, 0.1)
        self.write_notes(community, case["id"], EVENTS_WHILE_STREET_DOWN, 20)
        written = set(event_keys(tb, community, community))
        for node in (street, "district"):
            poll_until(f"every community event at {node}",
                       lambda n=node: set(event_keys(tb, n, community)) == written, 60, 0.2)
        for node in (community, street, "district"):
            keys = event_keys(tb, node)
            self.assertEqual(len(keys), len(set(keys)), f"an event stored twice at {node}")
            self.assertEqual(tb.get(node, "/api/status")["counters"]["equivocations"], 0)
        # The district really used the direct link: it counted events from the community.
        peers = tb.get("district", "/api/status")["counters"]["peers"]
        self.assertGreater(peers.get(community, {}).get("events_in", 0), 0,
                           "the district received nothing directly from the community")


if __name__ == "__main__":
    unittest.main(verbosity=2)
