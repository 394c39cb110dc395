#!/usr/bin/env python3
"""Proves issue 26's batch checks with real daemons: POST /api/events/batch checks a
case_created as POST /api/cases does (matter known, body read the same way) and the node gives
the id (the caller's case_id is a placeholder later events of the batch may name), so a future
id like <node>-000048 never poisons later creates, even across a restart; an empty batch or body
is 400; /api/cases/{id}/events never creates."""

import http.client as http_client
import os
import shutil
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, auth_headers, http, poll_until  # noqa: E402

# Sync ports 30500.., API ports 31500..: clear of every other test's ranges.
BASE_PORT = int(os.environ.get("BATCH_BASE_PORT", 30500))
NODE = "s01-c01"
FUTURE_SEQ = 48  # the tester's poisoned id: s01-c01-000048


class Batch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-batch-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=1,
                         base_port=BASE_PORT)
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def batch(self, events):
        return http("POST", self.tb.api(NODE) + "/api/events/batch", {"events": events})

    def raw_post(self, path, body):
        url = urllib.parse.urlparse(self.tb.api(NODE))
        conn = http_client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            headers = dict(auth_headers(self.tb.api(NODE)), **{"Content-Type": "application/json"})
            conn.request("POST", path, body=body, headers=headers)
            return conn.getresponse().status
        finally:
            conn.close()

    def last_seq(self):
        return self.tb.get(NODE, "/api/status")["last_seq"]

    def create(self):
        return http("POST", self.tb.api(NODE) + "/api/cases", {"matter": "QY-001", "applicant": "x"})

    def test_unknown_matter_is_refused_and_nothing_stored(self):
        before = self.last_seq()
        status, out = self.batch([{"case_id": "new-1", "kind": "case_created",
                                   "body": {"matter": "ZZ", "applicant": "x"}}])
        self.assertEqual(status, 404, out)
        self.assertEqual(out["field"], "events[0].body.matter")
        status, out = self.batch([{"case_id": "new-1", "kind": "case_created",
                                   "body": {"matter": "QY-001"}}])
        self.assertEqual((status, out["error"], out["field"]),
                         (400, "missing", "events[0].body.applicant"), out)
        self.assertEqual(self.last_seq(), before)

    def test_empty_batches_and_bodies_are_400(self):
        before = self.last_seq()
        self.assertEqual(self.batch([])[0], 400)
        self.assertEqual(self.raw_post("/api/events/batch", b""), 400)
        self.assertEqual(self.raw_post("/api/events/batch", b"{}"), 400)
        self.assertEqual(self.last_seq(), before)

    def test_the_single_event_route_never_creates(self):
        status, out = http("POST", self.tb.api(NODE) + "/api/cases/s01-c01-000999/events",
                           {"kind": "case_created", "body": {"matter": "QY-001", "applicant": "x"}})
        self.assertEqual((status, out["field"]), (400, "kind"), out)

    def test_a_future_id_is_a_placeholder_and_never_poisons_later_creates(self):
        future = f"{NODE}-{FUTURE_SEQ:06d}"
        seq = self.last_seq()
        self.assertLess(seq, FUTURE_SEQ, "the test needs the node's sequence below the future id")
        status, out = self.batch([
            {"case_id": future, "kind": "case_created", "body": {"matter": "QY-001", "applicant": "a"}},
            {"case_id": future, "kind": "note", "body": {"text": "same batch, same placeholder"}}])
        self.assertEqual(status, 201, out)
        given = out["ids"][future]
        self.assertEqual(given, f"{NODE}-{seq + 1:06d}")  # what POST /api/cases would have given
        case = self.tb.get(NODE, f"/api/cases/{given}")
        self.assertEqual(case["matter"], "QY-001")
        self.assertEqual([e["kind"] for e in case["events"]], ["case_created", "note"])
        self.assertEqual(http("GET", self.tb.api(NODE) + f"/api/cases/{future}")[0], 404)
        # A placeholder naming a case held here is refused: its later events would be ambiguous.
        status, out = self.batch([{"case_id": given, "kind": "case_created",
                                   "body": {"matter": "QY-001", "applicant": "b"}}])
        self.assertEqual((status, out["error"]), (409, "conflict"), out)
        # Creates run through the sequence number the caller named, then on after a restart.
        while self.last_seq() <= FUTURE_SEQ + 1:
            status, out = self.create()
            self.assertEqual(status, 201, out)
        self.tb.kill(NODE)
        self.tb.start(NODE)
        poll_until("the restarted terminal's API", lambda: self.tb.get(NODE, "/api/status"), 60, 0.2)
        status, out = self.create()
        self.assertEqual(status, 201, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
