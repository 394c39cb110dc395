#!/usr/bin/env python3
"""Proves the supervision page (/supervision, issue 17) with real daemons and headless Chromium:
after a scripted day of work (a hop nobody signs for, so a silent stall; a bounce; a repeated
supplement request) its figures per node and per matter equal `casesyncctl stats --json` (and
`stats --by matter --json`) for the same period,
its stalled hops equal the overdue stalls stats counts, every case row links to the case's trace,
and it renders in Chinese by default and in English with ?lang=en, asking nothing of any address
but the node's own (Chromium's net log). Screenshots are saved as test artifacts."""

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CHROMIUM_FLAGS, Testbed, bin_dir, ctl, log, page_requests,  # noqa: E402
                     poll_until)

BASE_PORT = int(os.environ.get("SUPERVISION_BASE_PORT", 20100))
PERIOD = ("2000-01-01", "2100-12-31")
FIGURES = ["received", "prereviewed", "completed", "bounces", "repeated_supplement_requests"]


class Rows(html.parser.HTMLParser):
    """The page's rows that carry data-*: figures per node, stalls, flagged cases, links."""

    def __init__(self):
        super().__init__()
        self.nodes, self.matters, self.stalls, self.flagged, self.links = {}, {}, [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-received" in a and "data-matter" in a:
            self.matters[a["data-matter"]] = a
        elif tag == "tr" and "data-received" in a:
            self.nodes[a["data-node"]] = a
        elif tag == "tr" and "data-attribution" in a:
            self.stalls.append(a)
        elif tag == "tr" and "data-bounces" in a and "data-case" in a:
            self.flagged.append(a)
        elif tag == "a" and (a.get("href") or "").startswith("#trace="):
            self.links.add(a["href"][len("#trace="):])


class Supervision(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not cls.chromium:
            raise unittest.SkipTest("chromium is not installed (Debian package chromium)")
        cls.tmp = tempfile.mkdtemp(prefix="casesync-supervision-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=2, communities=1,
                         base_port=BASE_PORT,
                         sets=["calendar=always", "deadlines.delivery=3s", "deadlines.accept=3s",
                               "deadlines.answer=60s", "stall.check_interval=1s",
                               "health.interval=1s", "sync.peer_timeout_ms=2000"])
        cls.tb.up()
        cls.silent, cls.bounced, cls.repeated = cls.scripted_day()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    @classmethod
    def scripted_day(cls):
        tb = cls.tb
        # A hop s01 never signs for: an accept stall, silent (s01 is up and reporting).
        silent = tb.post("district", "/api/cases", {"matter": "QY-001", "applicant": "甲"})["id"]
        tb.post("district", f"/api/cases/{silent}/forward", {"to": "s01"})
        # A bounce: s02 signs for the hop and sends the case back.
        bounced = tb.post("district", "/api/cases", {"matter": "QY-001", "applicant": "乙"})["id"]
        tb.post("district", f"/api/cases/{bounced}/forward", {"to": "s02"})
        poll_until("the hop delivered at s02",
                   lambda: bounced in tb.case_ids("s02") and tb.get("s02", f"/api/cases/{bounced}")
                   ["hops"][-1]["stage"] == "delivered", 20)
        tb.post("s02", f"/api/cases/{bounced}/accept", {})
        tb.post("s02", f"/api/cases/{bounced}/return", {"reason": "材料不全"})
        # A repeated supplement request at a community's window (一次性告知 not met).
        repeated = tb.post("s01-c01", "/api/cases", {"matter": "QY-001", "applicant": "丙"})["id"]
        tb.post("s01-c01", f"/api/cases/{repeated}/supplement", {"materials": ["身份证"]})
        tb.post("s01-c01", f"/api/cases/{repeated}/supplement_provided", {})
        tb.post("s01-c01", f"/api/cases/{repeated}/supplement", {"materials": ["营业执照"]})
        # Everything at the district: the silent stall, the bounce, the community's case.
        poll_until("the silent stall at the district", lambda: [
            s for s in tb.get("district", "/api/stalled?overdue=1")
            if s["case"] == silent and s["attribution"] == "silent"], 40)
        poll_until("the returned hop and the repeated supplement at the district", lambda:
                   repeated in tb.case_ids("district") and
                   tb.get("district", f"/api/cases/{repeated}")["repeated_supplement"] and
                   tb.get("district", f"/api/cases/{bounced}")["bounces"] >= 1, 30)
        return silent, bounced, repeated

    def stats(self, *by):
        return json.loads(ctl("--config", self.tb.nodes["district"]["config"], "stats", "--from",
                              PERIOD[0], "--to", PERIOD[1], *by, "--json").stdout)

    def browse(self, query, *extra):
        url = (f"{self.tb.api('district')}/supervision?from={PERIOD[0]}&to={PERIOD[1]}{query}"
               f"#token={self.tb.token('district')}")
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.tmp)
        try:
            r = subprocess.run([self.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                *extra, url], capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return r.stdout

    def test_figures_equal_stats_json(self):
        # The figures settle once the day's events reached the district: read stats on both
        # sides of the page so a late event cannot make the comparison pass or fail by chance.
        before = poll_until("stats to settle", lambda: (lambda a, b: a if a == b else None)(
            self.stats(), self.stats()), 30)
        page = Rows()
        page.feed(self.browse("", "--dump-dom"))
        self.assertEqual(self.stats(), before, "the figures moved while the page was read")
        stats = {n["node"]: n for n in before["nodes"]}
        self.assertEqual(set(page.nodes), set(stats), "one row per node of stats")
        by_matter = {m["matter"]: m for m in self.stats("--by", "matter")["nodes"]}
        self.assertEqual(set(page.matters), set(by_matter), "one row per matter of stats")
        self.assertIn("QY-001", by_matter)
        for rows, figures in ((page.nodes, stats), (page.matters, by_matter)):
            for key_value, n in figures.items():
                row = rows[key_value]
                for key in FIGURES:
                    self.assertEqual(int(row["data-" + key.replace("_", "-")]), n[key],
                                     f"{key_value} {key}")
                rate = row["data-on-time-rate"]
                self.assertEqual(None if rate == "" else float(rate), n["on_time_rate"], key_value)
        self.assertGreaterEqual(sum(n["bounces"] for n in stats.values()), 1, "the bounce")
        self.assertGreaterEqual(sum(n["repeated_supplement_requests"] for n in stats.values()), 1)
        # Stalled hops by node and cause: the overdue ones are what stats counts.
        counted = {}
        for s in page.stalls:
            if s.get("data-level", "overdue") == "overdue":
                key = (s["data-node"], s["data-attribution"])
                counted[key] = counted.get(key, 0) + 1
        expected = {(node, cause): k for node, n in stats.items()
                    for cause, k in n["stalls_by_attribution"].items() if k}
        self.assertEqual(counted, expected)
        self.assertIn(("s01", "silent"), counted)
        # Bounces and repeated supplement requests, each linking to its case's trace.
        flagged = {r["data-case"] for r in page.flagged}
        self.assertLessEqual({self.bounced, self.repeated}, flagged)
        self.assertLessEqual(flagged | {s["data-case"] for s in page.stalls}, page.links)

    def test_chinese_then_english_and_nothing_off_the_node(self):
        base = self.tb.api("district")
        artifacts = os.path.join(bin_dir(), "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        for lang, query, tag, labels in (
                ("zh", "", "zh-CN", ["电子监察", "按节点统计", "无应答", "退回与重复补正", "English"]),
                ("en", "&lang=en", "en", ["supervision", "Figures by node", "silent",
                                          "Bounces and repeated supplement requests", "中文"])):
            netlog = os.path.join(self.tmp, f"netlog-{lang}.json")
            dom = self.browse(query, f"--log-net-log={netlog}", "--dump-dom")
            self.assertIn(f'<html lang="{tag}">', dom)
            visible = re.sub(r"<script>.*?</script>", "", dom, flags=re.S)
            for label in labels:
                self.assertIn(label, visible, f"{lang}: the page lacks {label}")
            self.assertIn("<svg", visible, "the charts are drawn in the page")
            urls = page_requests(netlog, base)
            self.assertTrue(any(u.startswith(base + "/api/stats?") for u in urls), urls)
            self.assertEqual(sorted(u for u in urls if not u.startswith(base + "/")), [],
                             f"{lang}: the page asked for something off the node")
            png = os.path.join(artifacts, f"supervision-{lang}.png")
            if os.path.exists(png):
                os.remove(png)
            self.browse(query, "--window-size=1280,1600", f"--screenshot={png}")
            self.assertGreater(os.path.getsize(png), 10000, "the screenshot is empty")
            log(f"supervision screenshot ({lang}): {png}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
