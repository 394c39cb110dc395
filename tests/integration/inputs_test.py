#!/usr/bin/env python3
"""Proves issue 21 with real daemons: each input that used to stop a node or pass unchecked is
refused with a 4xx, a JSON {error, message, field} and nothing stored, while /healthz stays ok;
casesyncctl refuses unknown flags (exit 2), filters `cases`, prints --json errors on stdout; a
return counts as a bounce in `stats --json`; an open hop's due time equals `calendar due` from
the same start; completion (办结) belongs to the receiving office or a district admin."""

import datetime
import http.client
import json
import os
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, auth_headers, ctl, poll_until, quiescent  # noqa: E402

# Sync ports 26400.., API ports 27400..: clear of every other test's ranges.
BASE_PORT = int(os.environ.get("INPUTS_BASE_PORT", 26400))
CALENDAR_ZONE = datetime.timezone(datetime.timedelta(hours=8))  # data/calendar.toml


def iso_ms(text):
    """Milliseconds since the epoch of an API time ("2026-12-04T06:29:40.929Z")."""
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def local_minute(text):
    """The calendar's local time of an API time, as `calendar due --from` takes it."""
    t = datetime.datetime.fromtimestamp(iso_ms(text) / 1000, CALENDAR_ZONE)
    return t.strftime("%Y-%m-%dT%H:%M")


class Inputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-inputs-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=2,
                         base_port=BASE_PORT, sets=["sync.resend_timeout_ms=500"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    # ---- helpers

    def raw(self, node, method, path, body=b"", headers=None):
        """One request with exactly these bytes (no client-side normalising); returns
        (status, parsed JSON body or None, raw body)."""
        url = urllib.parse.urlparse(self.tb.api(node))
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in (headers or auth_headers(self.tb.api(node))).items():
                conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                conn.send(body)
            r = conn.getresponse()
            data = r.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        return r.status, parsed, data

    def refused(self, node, method, path, body=b"", status=400, code=None, field=None,
                says=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        got, answer, data = self.raw(node, method, path, body)
        what = f"{method} {path[:80]} {body[:80]!r}"
        self.assertEqual(got, status, f"{what}: {data[:300]!r}")
        self.assertIsInstance(answer, dict, f"{what}: not a JSON error body: {data[:300]!r}")
        self.assertTrue(answer.get("message"), f"{what}: no message: {answer}")
        self.assertIn("field", answer, f"{what}: no field: {answer}")
        if code:
            self.assertEqual(answer["error"], code, f"{what}: {answer}")
        if field is not None:
            self.assertEqual(answer["field"], field, f"{what}: {answer}")
        if says:
            self.assertIn(says, answer["message"], f"{what}: {answer}")
        status_ok, _, ok_body = self.raw(node, "GET", "/healthz")
        self.assertEqual((status_ok, ok_body), (200, b"ok\n"), f"node down after {what}")
        return answer

    def stored(self, node):
        return self.tb.get(node, "/api/status")["store"]["events"]

    def cli(self, node, *args, check=True):
        return ctl("--config", self.tb.nodes[node]["config"], *args, check=check)

    def cli_json(self, node, *args):
        return json.loads(self.cli(node, *args, "--json").stdout)

    def hop_stage(self, node, cid, stage):
        def ok():
            hops = self.tb.get(node, f"/api/cases/{cid}")["hops"]
            return hops and hops[-1]["stage"] == stage and hops[-1]
        return poll_until(f"{cid}'s last hop {stage} at {node}", ok, 30)

    # ---- the bad inputs of the issue

    def test_bad_requests_are_refused_the_node_lives_and_nothing_is_stored(self):
        node = "s01"
        cid = self.tb.post(node, "/api/cases", {"matter": "QY-001", "applicant": "Base"})["id"]
        poll_until("links drained", lambda: quiescent(self.tb), 30)
        before = self.stored(node)
        cases_before = len(self.tb.get(node, "/api/cases?limit=10000"))
        r = self.refused
        r(node, "POST", "/api/cases", {"matter": 123, "applicant": "a"},
          code="wrong_type", field="matter", says="must be text")
        r(node, "POST", "/api/cases", {"matter": "QY-001", "applicant": ["a"]},
          code="wrong_type", field="applicant")
        r(node, "POST", "/api/cases", {"matter": "QY-001", "applicant": {"x": 1}},
          code="wrong_type", field="applicant")
        r(node, "POST", "/api/events/batch",
          {"events": [{"case_id": 5, "kind": "note", "body": {"text": "x"}}]},
          code="wrong_type", field="events[0].case_id")
        r(node, "POST", "/api/cases", b'{"matter":"QY-001","applicant":"bad\xff\xfe"}',
          code="bad_utf8", says="not UTF-8")
        r(node, "POST", f"/api/cases/{cid}/note", b'{"text":"\xc0\xaf"}', code="bad_utf8")
        r(node, "GET", "/api/cases?applicant=%FF%FE", code="bad_utf8", field="applicant")
        r(node, "POST", "/api/cases", {"matter": "QY-001", "applicant": "a" * 201},
          code="too_long", field="applicant", says="the limit is 200")
        r(node, "POST", f"/api/cases/{cid}/note", {"text": "备" * 4001},
          code="too_long", field="text", says="the limit is 4000")
        r(node, "POST", "/api/cases",
          {"matter": "QY-001", "applicant": "a", "materials": [f"m{i}" for i in range(51)]},
          code="too_many", field="materials", says="the limit is 50")
        r(node, "POST", "/api/cases",
          {"matter": "QY-001", "applicant": "a", "fields": {f"f{i}": "v" for i in range(65)}},
          code="too_many", field="fields", says="the limit is 64")
        r(node, "POST", "/api/cases", {"matter": "QY-001", "applicant": "a", "applicnt": "b"},
          code="unknown_field", field="applicnt")
        # Errors that used to have no body, or the wrong code.
        r(node, "POST", "/api/cases", b"{" + b" " * (2 << 20) + b"}", status=413,
          code="body_too_large", says="the limit is 1048576")
        r(node, "POST", "/api/import", b" " * ((32 << 20) + 1), status=413,
          code="body_too_large")
        r(node, "GET", "/api/cases?matter=" + "a" * 9000, status=414, code="uri_too_long")
        r(node, "GET", "/api/cases/../../etc/passwd", status=404, code="not_found")
        r(node, "GET", "/api/cases/..", code="bad_value", field="case_id")
        r(node, "GET", "/api/cases/nosuch-000001", status=404, code="not_found",
          field="case_id", says="not held at node s01")
        r(node, "POST", f"/api/cases/{cid}/events", {"kind": "bogus", "body": {}},
          status=404, code="not_found", field="kind")
        r(node, "POST", f"/api/cases/{cid}/forward", {"to": "nowhere"},
          status=404, code="not_found", field="to", says="not in the roster")
        r(node, "POST", f"/api/cases/{cid}/teleport", {}, status=404, field="action")
        r(node, "POST", "/api/cases", {"matter": "NOPE-1", "applicant": "a"}, status=404,
          field="matter", says="unknown matter code")
        # Parameters.
        for bad in ("-1", "abc", "99999999", "0"):
            r(node, "GET", f"/api/cases?limit={bad}", field="limit")
        r(node, "GET", "/api/events?after=-5&limit=-1", field="after")
        r(node, "GET", "/api/events?after=5&limit=-1", field="limit")
        r(node, "GET", "/api/cases?status=open", field="status", says="received")
        r(node, "GET", "/api/status?verbose=1", code="unknown_field", field="verbose")
        r(node, "GET", "/api/stats?from=2026-02-30", field="from")
        # A state that forbids the action is a 409, a permission a 403.
        r(node, "POST", f"/api/cases/{cid}/reopen", {"reason": "x"}, status=403,
          code="forbidden", says="only the district may reopen")
        r(node, "POST", f"/api/cases/{cid}/accept", {}, status=409, code="conflict",
          field="hop")
        self.assertEqual(self.stored(node), before, "a refused request stored an event")
        self.assertEqual(len(self.tb.get(node, "/api/cases?limit=10000")), cases_before)
        status = self.tb.get(node, "/api/status")
        self.assertEqual(status["api_errors"], 0)
        self.assertGreaterEqual(status["api_error_responses"]["400"], 20)
        for code in ("404", "409", "413", "414"):
            self.assertGreaterEqual(status["api_error_responses"].get(code, 0), 1, code)

    def test_feeds_take_bounded_positions(self):
        node = "s01-c02"
        page = self.tb.get(node, "/api/events?after=0&limit=10000")
        self.assertEqual(page["next"], page["events"][-1]["local_seq"] if page["events"] else 0)
        self.refused(node, "GET", "/api/changes?since=1&wait=61", code="out_of_range",
                     field="wait")
        self.refused(node, "GET", "/api/conflicts?limit=10001", code="out_of_range")

    # ---- the command line

    def test_cli_refuses_unknown_flags_and_bad_text(self):
        for args in (["cases", "--bogus"], ["case", "show", "x-000001", "--bogus"],
                     ["status", "--verbose"], ["stats", "--from", "2026-01-01", "--to",
                                               "2026-01-02", "--nodes", "x"],
                     ["case", "forward", "x-000001", "--to"]):
            got = self.cli("s01", *args, check=False)
            self.assertEqual(got.returncode, 2, f"{args}: {got.stdout}{got.stderr}")
            self.assertIn("casesyncctl: ", got.stderr)
            self.assertEqual(got.stdout, "", f"{args} printed a result")
        got = self.cli("s01", "case", "create", "--matter", "QY-001", "--applicant",
                       b"bad\xff\xfe".decode("utf-8", "surrogateescape"), check=False)
        self.assertEqual(got.returncode, 2, got.stderr)
        self.assertIn("not UTF-8", got.stderr)
        helped = self.cli("s01", "cases", "--help")
        self.assertIn("--waiting-for-me", helped.stdout)
        # Values the node refuses come back as the node's message, never "null".
        for args, says in ((["cases", "--status", "open"], "not a case status"),
                           (["case", "show", "../../etc/passwd"], ""),
                           (["cases", "--limit", "2x"], "whole number")):
            got = self.cli("s01", *args, check=False)
            self.assertEqual(got.returncode, 2, f"{args}: {got.stdout}{got.stderr}")
            self.assertNotIn("null", got.stderr)
            self.assertIn(says, got.stderr)

    def test_cli_json_errors_are_json_on_stdout_with_the_exit_code(self):
        cases = [
            (["case", "show", "nosuch-000001"], 2, "not_found", "case_id"),
            (["cases", "--limit", "0"], 2, "out_of_range", "limit"),
            (["cases", "--bogus"], 2, "usage", ""),
            (["case", "reopen", "nosuch-000001", "--reason", "x"], 2, "not_found", "case_id"),
        ]
        for args, rc, code, field in cases:
            got = self.cli("s01", *args, "--json", check=False)
            self.assertEqual(got.returncode, rc, f"{args}: {got.stdout}{got.stderr}")
            err = json.loads(got.stdout)
            self.assertEqual((err["error"], err["field"]), (code, field), f"{args}: {err}")
            self.assertTrue(err["message"])
        cid = self.cli("s01-c02", "case", "create", "--matter", "QY-001", "--applicant",
                       "Refused").stdout.strip()
        got = self.cli("s01-c02", "--json", "case", "reopen", cid, "--reason", "x", check=False)
        self.assertEqual(got.returncode, 1, got.stdout)
        self.assertEqual(json.loads(got.stdout)["error"], "forbidden")

    def test_cases_filters_csv_and_worklist(self):
        c = "s01-c01"
        li = self.cli(c, "case", "create", "--matter", "QY-001", "--applicant", "李四",
                      "--material", "申请书", "--material", "营业执照").stdout.strip()
        wang = self.cli(c, "case", "create", "--matter", "SP-014", "--applicant",
                        "王五").stdout.strip()
        self.cli(c, "case", "forward", wang, "--to", "s01")
        ids = lambda *args: [x["id"] for x in self.cli_json(c, "cases", *args)]  # noqa: E731
        self.assertEqual(ids("--applicant", "李四"), [li])
        self.assertEqual(ids("--applicant", "李"), [li])
        self.assertEqual(ids("--matter", "SP-014"), [wang])
        self.assertEqual(ids("--holder", "s01"), [wang])
        self.assertEqual(set(ids("--status", "received", "--status", "forwarded",
                                 "--status", "delivered")), {li, wang})
        self.assertEqual(ids("--status", "received"), [li])
        self.assertEqual(len(ids("--limit", "1")), 1)
        self.assertEqual(set(ids("--open", "--since", "2000-01-01")) >= {li, wang}, True)
        self.assertEqual(ids("--since", "2100-01-01"), [])
        bad = self.cli(c, "cases", "--matter", "NOPE-9", check=False)
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("unknown matter code", bad.stderr)
        csv = self.cli(c, "cases", "--applicant", "李四", "--csv").stdout.splitlines()
        self.assertTrue(csv[0].startswith("CASE,MATTER,APPLICANT,STATUS"), csv)
        self.assertEqual(len(csv), 2)
        self.assertTrue(csv[1].startswith(li + ",QY-001,李四,received"), csv)
        # Materials are a list, in the case and in its event.
        shown = self.cli_json(c, "case", "show", li)
        self.assertEqual(shown["materials"], ["申请书", "营业执照"])
        self.assertEqual(shown["events"][0]["body"]["materials"], ["申请书", "营业执照"])
        # The street's worklist: hops addressed to it, not yet answered.
        self.hop_stage("s01", wang, "delivered")
        self.assertEqual([x["id"] for x in self.cli_json("s01", "cases", "--waiting-for-me")],
                         [wang])
        self.cli("s01", "case", "accept", wang)
        self.assertIn(wang, [x["id"] for x in self.cli_json("s01", "cases", "--waiting-for-me")])
        self.cli("s01", "case", "reply", wang, "--outcome", "approved")
        self.assertEqual(self.cli_json("s01", "cases", "--waiting-for-me"), [])

    # ---- domain

    def test_a_return_is_a_bounce_in_stats_and_on_the_hop(self):
        c, s = "s01-c02", "s01"
        cid = self.cli(c, "case", "create", "--matter", "QY-001", "--applicant",
                       "Returned").stdout.strip()
        self.cli(c, "case", "forward", cid, "--to", s)
        self.hop_stage(s, cid, "delivered")
        self.cli(s, "case", "accept", cid)
        today = datetime.datetime.now(CALENDAR_ZONE).strftime("%Y-%m-%d")
        before = {n["node"]: n["bounces"] for n in
                  self.cli_json(s, "stats", "--from", today, "--to", today)["nodes"]}
        self.cli(s, "case", "return", cid, "--reason", "the form is unsigned")
        trace = self.cli_json(s, "case", "trace", cid)
        self.assertEqual(trace["bounces"], 1)
        self.assertTrue(trace["hops"][-1]["bounce"])
        after = {n["node"]: n["bounces"] for n in
                 self.cli_json(s, "stats", "--from", today, "--to", today)["nodes"]}
        self.assertEqual(after.get(s, 0), before.get(s, 0) + 1, after)
        self.assertIn("bounce", self.cli(s, "case", "trace", cid).stdout)

    def test_due_of_an_open_hop_equals_calendar_due_and_pauses_show_in_the_trace(self):
        c, d = "s01-c01", "district"
        cid = self.cli(c, "case", "create", "--matter", "SP-014", "--applicant",
                       "Due").stdout.strip()
        self.cli(c, "case", "forward", cid, "--to", d, "--due-working-days", "3")
        self.hop_stage(d, cid, "delivered")
        self.cli(d, "case", "accept", cid)
        hop = self.cli_json(d, "case", "trace", cid)["hops"][-1]
        self.assertEqual(hop["due_stage"], "answer")
        cal = json.loads(self.cli(d, "calendar", "due", "--from", local_minute(hop["accepted_at"]),
                                  "--working-days", "3", "--json").stdout)
        self.assertEqual(iso_ms(hop["due"]), cal["due_utc_ms"])
        shown = self.cli_json(d, "case", "show", cid)
        case_cal = json.loads(self.cli(d, "calendar", "due", "--from",
                                       local_minute(shown["received_at"]), "--working-days",
                                       "14", "--json").stdout)
        self.assertEqual(iso_ms(shown["due"]), case_cal["due_utc_ms"])  # SP-014: 14 days
        self.assertIn(hop["due"], self.cli(d, "case", "show", cid).stdout)
        # The supplement pause: in the text trace while it lasts and after.
        self.cli(d, "case", "supplement", cid, "--material", "健康证明")
        paused = self.cli_json(d, "case", "trace", cid)
        self.assertEqual(paused["hops"][-1]["due_stage"], "paused")
        self.assertIsNone(paused["due"])
        text = self.cli(d, "case", "trace", cid).stdout
        self.assertIn("paused since", text)
        self.assertIn("PAUSED", text)
        self.cli(d, "case", "supplied", cid)
        resumed = self.cli_json(d, "case", "trace", cid)
        self.assertGreater(resumed["hops"][-1]["paused_ms"], 0)
        self.assertEqual(iso_ms(resumed["hops"][-1]["due"]),
                         cal["due_utc_ms"] + resumed["hops"][-1]["paused_ms"])
        self.assertIn("paused for the applicant's materials", self.cli(d, "case", "trace",
                                                                       cid).stdout)

    def test_completion_belongs_to_the_receiving_office_or_a_district_admin(self):
        c, s, d = "s01-c02", "s01", "district"
        cid = self.cli(c, "case", "create", "--matter", "QY-001", "--applicant",
                       "Done").stdout.strip()
        self.cli(c, "case", "forward", cid, "--to", s)
        self.hop_stage(s, cid, "delivered")
        self.cli(s, "case", "accept", cid)
        self.cli(s, "case", "forward", cid, "--to", d)
        self.hop_stage(d, cid, "delivered")
        before = self.stored(d)
        got = self.cli(d, "case", "complete", cid, "--outcome", "approved", check=False)
        self.assertEqual(got.returncode, 1)
        self.assertIn("only the receiving office s01-c02", got.stderr)
        poll_until("the community holds the forward", lambda: self.tb.get(
            c, f"/api/cases/{cid}")["holder"] == d, 30)
        early = self.cli(c, "--json", "case", "complete", cid, "--outcome", "approved",
                         check=False)
        self.assertEqual(early.returncode, 1)
        self.assertEqual(json.loads(early.stdout)["error"], "conflict")
        self.assertEqual(self.stored(d), before)
        done = self.cli_json(d, "case", "complete", cid, "--outcome", "approved",
                             "--as-district-admin")
        self.assertEqual((done["status"], done["completed_by"], done["completion_authority"]),
                         ("completed", d, "district_admin"))
        self.assertIn("(district admin)", self.cli(d, "case", "trace", cid).stdout + json.dumps(
            self.cli_json(d, "case", "trace", cid)["timeline"], ensure_ascii=False))


if __name__ == "__main__":
    unittest.main(verbosity=2)
