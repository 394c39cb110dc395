#!/usr/bin/env python3
"""Proves the district policy end to end with real daemons: a made-up 2027 schedule published at
the district reaches every node within 30 s, and then every node prints the same due date for the
same start and the same policy version and digest; a bundle signed by another key and an older
one are refused and counted and the node keeps its policy; a node stopped during a publish is
lagging meanwhile and catches up when started; a matter the new catalogue dropped refuses new
cases; and the catalogue CSV import takes a BOM and quoted commas and names a bad row."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, ctl, poll_until  # noqa: E402
from policy_bed import PolicyBed  # noqa: E402

BASE_PORT = int(os.environ.get("POLICY_BASE_PORT", 20700))
CALENDAR_2027 = os.path.join(ROOT, "config", "testdata", "calendar_2027.toml")
PUBLISH_BOUND_S = 30  # the bound: every node follows within 30 s
# The holidays of calendar_2027.toml's made-up 2027 schedule.
MADE_UP_HOLIDAYS = {f"2027-01-0{d}" for d in (1, 2, 3)} | {f"2027-02-{d:02d}" for d in range(6, 14)}


class Policy(PolicyBed, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_bed("casesync-policy-", BASE_PORT, 5)
        cls.matters = os.path.join(cls.dir, "matters.toml")

    def due(self, node):
        return ctl("--config", self.cfg(node), "calendar", "due", "--from", "2027-02-05T09:00",
                   "--working-days", "3").stdout.strip()

    def publish(self, *extra, check=True, calendar=CALENDAR_2027, matters=None):
        return ctl("--config", self.cfg("district"), "policy", "publish", "--calendar", calendar,
                   "--matters", matters or self.matters, "--root-key", self.root_key, *extra,
                   check=check)

    def trace(self, case):
        return json.loads(ctl("--config", self.cfg("s01-c01"), "case", "trace", case,
                              "--json").stdout)

    def all_at(self, version):
        shown = {n: self.show(n) for n in self.tb.nodes}
        return shown if all(s["version"] == version for s in shown.values()) else None

    def test_1_published_schedule_reaches_every_node(self):
        # Before: no 2027 schedule anywhere, so plain Monday-Friday (the test can fail).
        # Before publishing: no 2027 schedule, so the statutory holidays apply (the Spring
        # Festival eve, the 5th, to its day 3, the 8th): due the 11th.
        self.assertEqual(self.due("s01-c01"), "2027-02-11T17:30")
        self.assertEqual(self.show("s01-c01")["version"], 0)
        case = json.loads(ctl("--config", self.cfg("s01-c01"), "case", "create", "--matter",
                              "MZ-003", "--applicant", "Li Wei", "--json").stdout)["id"]
        due_before = self.trace(case)["due"]
        r = self.publish()
        self.assertEqual(r.stdout.strip(), "1")
        shown = poll_until("policy version 1 at every node", lambda: self.all_at(1),
                           PUBLISH_BOUND_S)
        digests = {s["digest"] for s in shown.values()}
        self.assertEqual(len(digests), 1, shown)
        for s in shown.values():
            self.assertEqual(s["calendar_years"], [2026, 2027])
            self.assertGreater(s["matters"], 0)
            self.assertTrue(s["signed_at"])
        self.assertEqual({self.due(n) for n in self.tb.nodes}, {"2027-02-17T17:30"})
        # The open case's due time is now computed with version 1; where the made-up holidays
        # moved it (a 20-working-day limit from early December ends on 1 January), the trace
        # says so and gives the due time before.
        t = poll_until("the case's due time under policy 1",
                       lambda: (lambda t: t if t.get("due_policy_version") == 1 else None)(
                           self.trace(case)), 10)
        if due_before[:10] in MADE_UP_HOLIDAYS:
            self.assertEqual(t["due_moved_by_policy"], 1)
            self.assertEqual(t["due_before"], due_before)
            self.assertNotEqual(t["due"], due_before)
            text = ctl("--config", self.cfg("s01-c01"), "case", "trace", case).stdout
            self.assertIn("moved by policy v1, was " + due_before, text)
        else:
            self.assertEqual(t["due"], due_before)
            self.assertNotIn("due_moved_by_policy", t)

    def test_2_other_key_and_older_bundle_are_refused_and_counted(self):
        other = os.path.join(self.tmp, "other")
        ctl("root", "init", "--out", other)
        before = self.show("district")
        r = ctl("--config", self.cfg("district"), "policy", "publish", "--calendar", CALENDAR_2027,
                "--matters", self.matters, "--root-key", os.path.join(other, "root.key"),
                check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not signed by the pinned root key", r.stderr)
        r = self.publish("--version", str(before["version"]), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("is not newer than", r.stderr)
        after = self.show("district")
        self.assertEqual(after["refused"], before["refused"] + 2)
        self.assertEqual((after["version"], after["digest"]), (before["version"], before["digest"]))

    def test_3_node_stopped_during_publish_lags_then_catches_up(self):
        node = "s01-c02"
        # The district must have heard the node's version before it stops.
        self.wait_reported(node)
        self.tb.stop(node)
        version = self.show("district")["version"] + 1
        # The new catalogue drops QY-001.
        trimmed = os.path.join(self.tmp, "matters-trimmed.toml")
        with open(self.matters, encoding="utf-8") as f:
            text = f.read()
        start = text.index('[[matter]]\ncode = "QY-001"')
        end = text.index("[[matter]]", start + 1)
        with open(trimmed, "w", encoding="utf-8") as f:
            f.write(text[:start] + text[end:])
        self.assertEqual(self.publish(matters=trimmed).stdout.strip(), str(version))
        try:
            row = poll_until(f"{node} lagging behind policy {version} at the district",
                             lambda: self.lag_warning(node), 30)
        except AssertionError as e:
            rows = {n["id"]: n for n in self.tb.get("district", "/api/health")["nodes"]}
            raise AssertionError(f"{e}: its row {rows[node]}") from None
        self.assertIn(f"the district has {version}", json.dumps(row))
        self.tb.start(node)
        poll_until(f"{node} at policy {version}",
                   lambda: self.show(node)["version"] == version, PUBLISH_BOUND_S)
        poll_until(f"{node} no longer lagging at the district",
                   lambda: self.lag_warning(node) is None, 30)
        self.assertEqual(self.show(node)["digest"], self.show("district")["digest"])
        # A matter the catalogue dropped: new cases of it are refused with a clear message.
        r = ctl("--config", self.cfg("s01-c01"), "case", "create", "--matter", "QY-001",
                "--applicant", "Wang Fang", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("removed from the district's catalogue", r.stderr + r.stdout)

    def test_4_catalogue_csv_import(self):
        csv = os.path.join(self.tmp, "export.csv")
        out = os.path.join(self.tmp, "imported.toml")
        rows = ("code,name,limit_working_days,materials\r\n"
                'QY-001,"企业设立登记, Enterprise registration",3,申请书;身份证明\r\n'
                "SP-014,食品经营许可,fourteen,申请书\r\n")
        with open(csv, "wb") as f:
            f.write(b"\xef\xbb\xbf" + rows.encode())
        r = ctl("matters", "import", csv, "--out", out, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{csv}:3: limit_working_days", r.stderr)
        self.assertFalse(os.path.exists(out))
        with open(csv, "wb") as f:
            f.write(b"\xef\xbb\xbf" + rows.replace("fourteen", "14").encode())
        ctl("matters", "import", csv, "--out", out)
        with open(out, encoding="utf-8") as f:
            text = f.read()
        self.assertIn('name = "企业设立登记, Enterprise registration"', text)
        self.assertIn('materials = ["申请书", "身份证明"]', text)
        # What it wrote is a catalogue publish accepts (checked before anything is sent).
        r = self.publish(matters=out, calendar=os.path.join(self.tmp, "missing.toml"), check=False)
        self.assertIn("missing.toml", r.stderr)
        self.assertNotIn("imported.toml", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
