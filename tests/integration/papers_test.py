#!/usr/bin/env python3
"""Proves the printable papers (issue 26) against real daemons: `case supplied --material` is
checked against the catalogue and shows on the acceptance receipt and the one-time notice, which
the CLI and the API serve (Chinese by default, English with ?lang=en) with the applicant masked;
the trace's signed receipts verify against the roster; headless Chromium renders both papers."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, auth_headers, ctl, http, poll_until  # noqa: E402

# Sync ports 20500..20502, API 21500..21502 (testbed: +1000): clear of every other test's ranges.
BASE_PORT = int(os.environ.get("PAPERS_BASE_PORT", 20500))
APPLICANT = "张晓明"
PNG_BYTES_MIN = 8 * 1024  # a blank page is ~3 KB; a rendered A4 paper with tables is far more


def get_html(url):
    """GET `url` with the node's token: (status, text) — the papers are HTML, not JSON."""
    req = urllib.request.Request(url, headers=auth_headers(url))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


class Papers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-papers-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=1,
                         base_port=BASE_PORT, sets=["sync.resend_timeout_ms=500"])
        cls.tb.up()
        cls.node = "s01-c01"
        cls.cid = cls.cli_json(cls.node, "case", "create", "--matter", "SP-014", "--applicant",
                               APPLICANT, "--id-number", "110105199001011234",
                               "--material", "食品经营许可申请书 Application form")["id"]
        cls.cli(cls.node, "case", "supplement", cls.cid, "--material", "营业执照",
                "--material", "健康证明")
        cls.cli(cls.node, "case", "supplied", cls.cid, "--material", "营业执照")

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    @classmethod
    def cli(cls, node, *args, check=True):
        return ctl("--config", cls.tb.nodes[node]["config"], *args, check=check)

    @classmethod
    def cli_json(cls, node, *args):
        return json.loads(cls.cli(node, *args, "--json").stdout)

    def paper_url(self, kind, query=""):
        return f"{self.tb.api(self.node)}/api/cases/{self.cid}/{kind}{query}"

    def assert_common(self, html, english):
        self.assertIn(self.cid, html)
        self.assertIn("SP-014", html)
        self.assertIn("食品经营许可", html)
        self.assertNotIn(APPLICANT, html)
        self.assertIn("张**", html)
        self.assertNotIn("110105199001011234", html)
        self.assertIn("营业执照 Business licence", html)   # the supplied material, full name
        self.assertIn("健康证明 Staff health certificates", html)   # still missing
        self.assertIn("14 " + ("working days" if english else "个工作日"), html)

    def test_materials_recorded_in_case_json(self):
        shown = self.cli_json(self.node, "case", "show", self.cid)
        self.assertIn("营业执照 Business licence", shown["materials_received"])
        self.assertIn("健康证明 Staff health certificates", shown["materials_missing"])
        self.assertNotIn("营业执照 Business licence", shown["materials_missing"])

    def test_receipt_and_notice_over_http(self):
        for kind, zh_title, en_title in (("receipt", "受理回执", "Acceptance receipt"),
                                         ("notice", "一次性告知书",
                                          "One-time notice of missing materials")):
            status, zh = get_html(self.paper_url(kind))
            self.assertEqual(status, 200, zh)
            self.assertIn(f"<h1>{zh_title}</h1>", zh)
            self.assert_common(zh, english=False)
            status, en = get_html(self.paper_url(kind, "?lang=en"))
            self.assertEqual(status, 200, en)
            self.assertIn(f"<h1>{en_title}</h1>", en)
            self.assertNotIn(f"<h1>{zh_title}</h1>", en)
            self.assertNotIn("尚缺材料", en)
            self.assert_common(en, english=True)
        # The supplement ended the pause: the receipt carries a due date again.
        _, en = get_html(self.paper_url("receipt", "?lang=en"))
        self.assertRegex(en, r'<td id="due">\d{4}-\d{2}-\d{2} \d{2}:\d{2}</td>')
        req = urllib.request.Request(self.paper_url("receipt"))   # no token: refused
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=60)
        self.assertIn(e.exception.code, (401, 403))

    def test_papers_via_cli_and_out_file(self):
        r = self.cli(self.node, "case", "receipt", self.cid)
        self.assertIn("Acceptance receipt", r.stdout)   # the harness asks for English
        self.assert_common(r.stdout, english=True)
        out = os.path.join(self.tmp, "notice.html")
        self.cli(self.node, "case", "notice", self.cid, "--out", out)
        with open(out, encoding="utf-8") as f:
            html = f.read()
        self.assertIn("One-time notice of missing materials", html)
        self.assert_common(html, english=True)
        self.assertFalse(os.path.exists(out + ".part"))

    def test_due_date_and_limit_on_a_fresh_receipt(self):
        cid = self.cli_json(self.node, "case", "create", "--matter", "QY-001", "--applicant",
                            "李四")["id"]
        status, en = get_html(f"{self.tb.api(self.node)}/api/cases/{cid}/receipt?lang=en")
        self.assertEqual(status, 200, en)
        due = re.search(r'<td id="due">([^<]*)</td>', en)
        self.assertIsNotNone(due, en)
        self.assertRegex(due.group(1), r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
        self.assertIn("3 working days", en)
        self.assertIn("李*", en)

    def test_unknown_case_and_unknown_material_are_clear(self):
        r = self.cli(self.node, "case", "receipt", "nope-000001", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nope-000001", r.stderr)
        self.assertIn("not held", r.stderr)
        out = os.path.join(self.tmp, "never.html")
        r = self.cli(self.node, "case", "notice", "nope-000001", "--out", out, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(out) or os.path.exists(out + ".part"))
        status, body = get_html(f"{self.tb.api(self.node)}/api/cases/nope-000001/receipt")
        self.assertEqual(status, 404, body)
        status, body = http("POST", f"{self.tb.api(self.node)}/api/cases/{self.cid}/supplement_provided",
                            {"materials": ["水电费发票"]})
        self.assertEqual(status, 400, body)
        self.assertIn("SP-014", json.dumps(body, ensure_ascii=False))
        self.assertIn("水电费发票", json.dumps(body, ensure_ascii=False))
        r = self.cli(self.node, "case", "supplied", self.cid, "--material", "水电费发票",
                     check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("matter SP-014", r.stderr)

    def test_trace_receipts_verified_with_signer(self):
        cid = self.cli_json(self.node, "case", "create", "--matter", "QY-001", "--applicant",
                            "王五")["id"]
        hop = self.cli_json(self.node, "case", "forward", cid, "--to", "s01")["hops"][-1]["hop"]

        def delivered():
            hops = {h["hop"]: h for h in self.tb.get("s01", f"/api/cases/{cid}")["hops"]}
            return hop in hops and hops[hop]["stage"] == "delivered"
        poll_until(f"hop {hop} delivered at s01", delivered, 30)
        self.cli("s01", "case", "accept", cid)

        def both_receipts():
            t = self.cli_json(self.node, "case", "trace", cid)
            h = [x for x in t["hops"] if x["hop"] == hop][0]
            return h if len(h.get("receipts", [])) >= 2 else None
        h = poll_until(f"delivery and acceptance receipts of {hop} at {self.node}",
                       both_receipts, 30)
        for r in h["receipts"]:
            self.assertTrue(r["verified"], r)
            self.assertEqual(r["signer"], "s01", r)
        r = self.cli(self.node, "case", "trace", cid)
        self.assertIn("RECEIPT", r.stdout)
        self.assertNotIn("NOT verified", r.stdout)

    def test_chromium_renders_both_papers(self):
        browser = chromium_binary()
        if browser is None:
            self.skipTest("chromium is not installed (scripts/bootstrap.sh installs it; CI has it)")
        for kind in ("receipt", "notice"):
            status, html = get_html(self.paper_url(kind))
            self.assertEqual(status, 200, html)
            page = os.path.join(self.tmp, f"{kind}.html")
            png = os.path.join(self.tmp, f"{kind}.png")
            with open(page, "w", encoding="utf-8") as f:
                f.write(html)
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                            f"--user-data-dir={os.path.join(self.tmp, 'chromium')}",
                            f"--screenshot={png}", "--window-size=1240,1754",
                            "file://" + page],
                           capture_output=True, timeout=120, check=False)
            self.assertTrue(os.path.exists(png), f"chromium wrote no {png}")
            self.assertGreater(os.path.getsize(png), PNG_BYTES_MIN, png)


if __name__ == "__main__":
    unittest.main(verbosity=2)
