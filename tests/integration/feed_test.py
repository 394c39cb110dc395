#!/usr/bin/env python3
"""Proves issue 19's changes feed with real daemons: GET /api/events?after=L&wait= parks until
an event is stored and answers with it at once (or empty at the deadline); the same route with
Accept: text/event-stream streams every event as it is stored, events from peers included, and a
client that reconnects with Last-Event-ID after the node was killed and restarted gets exactly
the events after it — no gap, no repeat; a client that stops reading is cut off (counted) without
holding the node's memory or threads. The feeds are behind the door (issue 14): without a token a
long-poll or a stream is refused with 401 before it parks, a department system reads them with its
own clerk of role `system`, and the ID number is masked in what they carry."""

import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, poll_until, token_for  # noqa: E402
from harness import http as request  # noqa: E402  (http is http.client here)

# Sync ports 30300.., API ports 31300..
BASE_PORT = int(os.environ.get("FEED_BASE_PORT", 30300))


ID_NUMBER = "330106199001011234"
# The department system's clerk (role system) at each node: API URL -> token.
SYSTEM_TOKENS = {}


def auth(api):
    """The department system's token at that node (the node's admin token if it has none)."""
    return {"Authorization": "Bearer " + SYSTEM_TOKENS.get(api, token_for(api))}


class Stream:
    """An SSE client on its own thread: events as (id, kind, data) in arrival order."""

    def __init__(self, api, last_event_id=None, rcvbuf=None, read=True, headers=None):
        url = urllib.parse.urlparse(api)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        if rcvbuf:  # a small window: a client that stops reading fills it quickly
            self.conn.sock = socket.create_connection((url.hostname, url.port))
            self.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        headers = {"Accept": "text/event-stream", **(auth(api) if headers is None else headers)}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/events", headers=headers)
        self.response = self.conn.getresponse()
        self.events = []
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self.read_all if read else lambda: None, daemon=True)
        self.thread.start()

    def read_all(self):
        record = {}
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if not line:
                    if "id" in record:
                        self.events.append((int(record["id"]), record.get("event"),
                                            json.loads(record["data"])))
                    record = {}
                elif not line.startswith(":"):
                    key, _, value = line.partition(": ")
                    record[key] = value
        except (OSError, http.client.HTTPException):
            pass
        self.ended.set()

    def ids(self):
        return [i for i, _, _ in self.events]

    def close(self):
        self.conn.close()


class Feed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-feed-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=1,
                         base_port=BASE_PORT, sets=["sync.resend_timeout_ms=500"])
        cls.tb.up()
        for node in ("s01", "s01-c01"):
            out = ctl("--config", cls.tb.nodes[node]["config"], "clerk", "add", "gov-portal",
                      "--name", "Gov portal", "--role", "system", "--json").stdout
            SYSTEM_TOKENS[cls.tb.api(node)] = json.loads(out)["token"]

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def create(self, node, applicant="Wang Fang"):
        body = {"matter": "SP-014", "applicant": applicant, "id_number": ID_NUMBER}
        return self.tb.post(node, "/api/cases", body)["id"]

    def get(self, node, path):
        """GET as the department system's clerk."""
        api = self.tb.api(node)
        status, body = request("GET", api + path, token=SYSTEM_TOKENS[api])
        self.assertEqual(status, 200, body)
        return body

    def stored(self, node):
        out, after = [], 0
        while True:
            page = self.get(node, f"/api/events?after={after}&limit=10000")
            if not page["events"]:
                return out
            out += page["events"]
            after = page["next"]

    def test_long_poll_answers_when_an_event_is_stored(self):
        last = self.tb.get("s01", "/api/status")["store"]["events"]
        answer = {}

        def poll():
            t0 = time.monotonic()
            answer["page"] = self.get("s01", f"/api/events?after={last}&wait=30s")
            answer["s"] = time.monotonic() - t0

        t = threading.Thread(target=poll)
        t.start()
        poll_until("the long-poll parked", lambda: self.tb.get(
            "s01", "/api/status")["api_connections"]["parked"] >= 1, 20)
        cid = self.create("s01")
        t.join(60)
        self.assertLess(answer["s"], 25, "answered when the event came, not at the deadline")
        self.assertEqual([e["case_id"] for e in answer["page"]["events"]], [cid])
        self.assertEqual(answer["page"]["next"], last + 1)
        created = answer["page"]["events"][0]
        self.assertNotIn(ID_NUMBER, json.dumps(created))  # masked (privacy.sensitive_fields)
        self.assertIn("*", created["body"]["id_number"])
        # Nothing new: empty once the wait is over.
        t0 = time.monotonic()
        empty = self.get("s01", f"/api/events?after={last + 1}&wait=1s")
        self.assertEqual(empty["events"], [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)

    def test_stream_resumes_after_last_event_id_across_a_restart(self):
        node = "s01-c01"
        for i in range(3):
            self.create(node, f"before {i}")
        s = Stream(self.tb.api(node))
        self.assertEqual(s.response.status, 200)
        self.assertTrue(s.response.getheader("Content-Type").startswith("text/event-stream"))
        poll_until("the backlog streamed", lambda: len(s.ids()) >= 3, 20)
        live = self.create(node, "live")
        # An event from a peer streams too: the street forwards a case down.
        down = self.create("s01", "from the street")
        self.tb.post("s01", f"/api/cases/{down}/forward", {"to": node})
        poll_until("live and peer events streamed",
                   lambda: {live, down} <= {d["case_id"] for _, _, d in s.events}, 30)
        # kill -9 the node: the stream ends; more is stored while the client is away.
        self.tb.kill(node)
        self.assertTrue(s.ended.wait(30))
        last_seen = s.ids()[-1]
        self.tb.start(node)
        later = [self.create(node, f"after {i}") for i in range(3)]
        poll_until("the node holds them", lambda: len(self.stored(node)) >= last_seen + 3, 30)
        resumed = Stream(self.tb.api(node), last_event_id=last_seen)
        held = len(self.stored(node))
        poll_until("the rest streamed", lambda: len(resumed.ids()) >= held - last_seen, 30)
        resumed.close()
        seen = s.events + resumed.events
        # What streamed is the node's log from its start: no gap, no repeat, the same events.
        stored = self.stored(node)[:len(seen)]
        self.assertEqual([i for i, _, _ in seen], [e["local_seq"] for e in stored])
        self.assertEqual([d["hash"] for _, _, d in seen], [e["hash"] for e in stored])
        self.assertEqual([k for _, k, _ in seen], [e["kind"] for e in stored])
        self.assertTrue(set(later) <= {d["case_id"] for _, _, d in resumed.events})

    def test_a_client_that_stops_reading_is_cut_off(self):
        node = "s01"
        status = self.tb.get(node, "/api/status")
        before = status["api_connections"]["stream_overflows"]
        stalled = Stream(self.tb.api(node), last_event_id=status["store"]["events"], rcvbuf=4096,
                         read=False)
        # About 12 MB of events: more than the socket buffers and the node's 4 MiB allowance.
        fat = {"matter": "SP-014", "applicant": "甲" * 200,
               "materials": [f"{i:02d}" + "料" * 78 for i in range(50)]}
        lines = "\n".join(json.dumps(fat, ensure_ascii=False) for _ in range(500))
        for _ in range(2):
            url = urllib.parse.urlparse(self.tb.api(node))
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
            conn.request("POST", "/api/import", lines.encode(),
                         {"Content-Type": "application/json", **auth(self.tb.api(node))})
            self.assertEqual(conn.getresponse().status, 201)
            conn.close()
        poll_until("the stalled stream cut off", lambda: self.tb.get(
            node, "/api/status")["api_connections"]["stream_overflows"] > before, 60)
        stalled.close()
        self.assertEqual(self.tb.get(node, "/api/status")["node"], node)  # still serving

    def test_the_feeds_need_a_token(self):
        api = self.tb.api("s01")
        before = self.tb.get("s01", "/api/status")["api_refused"]["no_token"]
        for path in ("/api/events?after=0&wait=30s", "/api/changes?since=0&wait=30s"):
            with self.subTest(path=path):
                t0 = time.monotonic()
                status, body = request("GET", api + path, token=None)
                self.assertEqual((status, body["error"]), (401, "no_token"))
                self.assertLess(time.monotonic() - t0, 10, "refused before it parked")
        for headers in ({}, {"Authorization": "Bearer csk_gov-portal_" + "0" * 48}):
            with self.subTest(headers=list(headers)):
                s = Stream(api, headers=headers, read=False)
                self.assertEqual(s.response.status, 401)
                self.assertIn(json.loads(s.response.read())["error"], ("no_token", "bad_token"))
                s.close()
        after = self.tb.get("s01", "/api/status")["api_refused"]["no_token"]
        self.assertEqual(after - before, 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
