#!/usr/bin/env python3
"""Proves a revocation never jams a link (issue 22): a community's cases queue at its street
while the district is down, the street installs a roster revoking that community, and once the
district is back both the revoked community's earlier cases (signed while it was valid: history
stays) and a case its sibling writes afterwards reach the district, and the street's uplink
drains to nothing."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, link_of, log, poll_until  # noqa: E402

BASE_PORT = int(os.environ.get("REVOKE_QUEUE_BASE_PORT", 30400))
STREET, REVOKED, SIBLING = "s01", "s01-c01", "s01-c02"
QUEUED_CASES = 20


class RevocationWithQueuedEvents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-revoke-queue-")
        cls.dir = os.path.join(cls.tmp, "tb")
        cls.tb = Testbed(cls.dir, streets=1, communities=2, base_port=BASE_PORT,
                         sets=["sync.peer_timeout_ms=2000"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def uplink(self):
        return link_of(self.tb, STREET, "district")

    def test_a_revoked_origins_queued_events_do_not_jam_the_uplink(self):
        tb = self.tb
        tb.stop("district")
        queued = [tb.post(REVOKED, "/api/cases", {"matter": "QY-001", "applicant": f"q{i}"})["id"]
                  for i in range(QUEUED_CASES)]
        poll_until(f"{STREET} holds {REVOKED}'s cases",
                   lambda: set(queued) <= set(tb.case_ids(STREET)), 30)
        self.assertGreaterEqual(self.uplink()["backlog_events"], QUEUED_CASES)

        ctl("--config", tb.nodes[STREET]["config"], "revoke", REVOKED,
            "--roster", os.path.join(self.dir, "roster.toml"),
            "--root-key", os.path.join(self.dir, "root.key"))
        poll_until(f"the revoking roster at {STREET}",
                   lambda: tb.get(STREET, "/api/status")["roster_version"] >= 2, 20)

        tb.start("district")
        later = tb.post(SIBLING, "/api/cases", {"matter": "QY-001", "applicant": "later"})["id"]
        poll_until(f"{SIBLING}'s later case at the district",
                   lambda: later in tb.case_ids("district"), 60)
        poll_until(f"{REVOKED}'s queued cases at the district (signed while it was valid)",
                   lambda: set(queued) <= set(tb.case_ids("district")), 60)
        poll_until(f"{STREET}'s uplink drained", lambda: self.uplink()["backlog_events"] == 0, 60)
        rejects = tb.get("district", "/api/status")["counters"]["rejects"]
        log(f"district rejects after the revocation: {rejects}")
        self.assertEqual(rejects.get("revoked_origin", 0), 0, rejects)


if __name__ == "__main__":
    unittest.main(verbosity=2)
