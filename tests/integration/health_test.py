#!/usr/bin/env python3
"""Proves the district's health view with real daemons: every node in_step at the district and
each street's subtree at the street; a stopped community turns offline within offline_after (with
its reason) and back in_step when restarted; a node under a +30 s faketime clock shows
clock_skewed; a forged event sent under a child's id raises security_alert naming bad_signature;
/metrics passes `promtool check metrics`; `casesyncctl health` exits 0/1/3; the dashboard page,
rendered by headless Chromium, shows every node and recolours a stopped one (screenshot saved as
a test artifact), in Chinese by default and in English with ?lang=en, and asks nothing of any
address but the node's own (Chromium's net log)."""

import html.parser
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CHROMIUM_FLAGS, Testbed, bin_dir, ctl, log, page_requests,  # noqa: E402
                     poll_until, quiescent, tool)

BASE_PORT = int(os.environ.get("HEALTH_BASE_PORT", 18400))
INTERVAL_S = 1
OFFLINE_AFTER_S = 4
# A stopped node's last report may have left just before it stopped; it turns offline once
# offline_after has passed on the receiver's clock, seen at the next poll of the API.
OFFLINE_BOUND_S = OFFLINE_AFTER_S + 2 * INTERVAL_S + 1
SKEW_S = 30


def skip(test, why):
    log(f"SKIP: {why}")
    test.skipTest(why)


class NodeRows(html.parser.HTMLParser):
    """The dashboard's node rows: data-node -> (data-state, class)."""

    def __init__(self):
        super().__init__()
        self.rows = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-node" in a and "data-state" in a:
            self.rows[a["data-node"]] = (a["data-state"], a.get("class") or "")


class Health(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-health-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=2, communities=2,
                         base_port=BASE_PORT,
                         sets=[f"health.interval={INTERVAL_S}s",
                               f"health.offline_after={OFFLINE_AFTER_S}s",
                               "sync.peer_timeout_ms=2000"])
        cls.tb.up()
        poll_until("every node in_step at the district", lambda: cls.all_in_step("district"), 20)

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    @classmethod
    def all_in_step(cls, at):
        nodes = cls.tb.get(at, "/api/health")["nodes"]
        return len(nodes) == len(cls.tb.nodes) and all(n["state"] == "in_step" for n in nodes)

    def cfg(self, node):
        return self.tb.nodes[node]["config"]

    def node_file(self, node, name):
        return os.path.join(os.path.dirname(self.cfg(node)), name)

    def entry(self, at, node):
        for n in self.tb.get(at, "/api/health")["nodes"]:
            if n["id"] == node:
                return n
        raise AssertionError(f"{node} is missing from /api/health at {at}")

    def wait_state(self, at, node, state, timeout_s, what=""):
        """Polls `at`'s /api/health until `node` is in `state`; returns its entry."""
        def reached():
            e = self.entry(at, node)
            return e if e["state"] == state else None
        return poll_until(f"{node} {state} at {at} {what}", reached, timeout_s, 0.1)

    # ---------------------------------------------------------------------------------------

    def test_01_tree_cli_and_exit_codes(self):
        district = self.tb.get("district", "/api/health")
        self.assertEqual({n["id"] for n in district["nodes"]}, set(self.tb.nodes))
        self.assertEqual(district["nodes"][0]["id"], "district")
        for key in ("node", "generated", "nodes", "stalls", "conflicts", "security_alerts"):
            self.assertIn(key, district)
        for key in ("id", "role", "parent", "state", "reason", "since", "last_seen",
                    "last_seen_ago_s", "backlog", "backlog_oldest_age_s", "clock_offset_ms",
                    "version", "uptime_s", "db_bytes", "wal_bytes", "stalled_hops", "warnings"):
            self.assertIn(key, district["nodes"][1], key)
        street = self.tb.get("s01", "/api/health")
        self.assertEqual([n["id"] for n in street["nodes"]], ["s01", "s01-c01", "s01-c02"])

        r = ctl("--config", self.cfg("district"), "health", check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"\n    s01-c01\s+in_step")  # indented by depth
        as_json = ctl("--config", self.cfg("s02"), "health", "--json", check=False)
        self.assertEqual(as_json.returncode, 0, as_json.stderr)
        self.assertIn('"nodes"', as_json.stdout)

        with socket.socket() as s:  # a loopback port nothing listens on
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
        gone = ctl("--api", f"http://127.0.0.1:{free}", "health", check=False)
        self.assertEqual(gone.returncode, 3, gone.stdout + gone.stderr)
        self.assertIn("cannot reach", gone.stderr)

    def test_02_metrics_pass_promtool(self):
        with urllib.request.urlopen(self.tb.api("district") + "/metrics", timeout=30) as r:
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
            text = r.read().decode()
        self.assertIn('casesync_node_state{node="s01-c01",state="in_step"} 1', text)
        for family in ("casesync_node_backlog_events", "casesync_node_last_seen_seconds",
                       "casesync_node_clock_offset_seconds", "casesync_node_db_bytes",
                       "casesync_events_applied_total", "casesync_events_authored_total",
                       "casesync_rejects_total", "casesync_equivocations_total",
                       "casesync_link_up", "casesync_link_backlog_events",
                       "casesync_stalled_hops"):
            self.assertIn(f"# TYPE {family} ", text)
        series = [line.rsplit(" ", 1)[0] for line in text.splitlines()
                  if line and not line.startswith("#")]
        self.assertEqual(len(series), len(set(series)), "duplicate series in /metrics")
        promtool = shutil.which("promtool")
        if not promtool:
            skip(self, "promtool is not installed (Debian package prometheus); "
                       "/metrics was checked for families and duplicates only")
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"promtool check metrics:\n{r.stdout}{r.stderr}")

    def test_03_stopped_community_goes_offline_and_comes_back(self):
        node = "s01-c01"
        self.wait_state("district", node, "in_step", 10)
        self.tb.stop(node)
        stopped = time.monotonic()
        e = self.wait_state("district", node, "offline", OFFLINE_BOUND_S + 5)
        took = time.monotonic() - stopped
        log(f"{node} offline at the district {took:.1f}s after it stopped: {e['reason']}")
        self.assertLessEqual(took, OFFLINE_BOUND_S)
        self.assertRegex(e["reason"], r"^no health report for \d+s \(offline after 4s\)$")
        self.assertIsNotNone(e["last_seen"])
        self.assertEqual(self.entry("s01", node)["state"], "offline")  # its street agrees
        r = ctl("--config", self.cfg("district"), "health", check=False)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stdout, rf"{node}\s+offline")

        self.tb.start(node)
        e = self.wait_state("district", node, "in_step", 20, "after restart")
        self.assertEqual(e["reason"], "")

    def test_04_concurrent_edits_are_listed_as_a_conflict(self):
        cid = self.tb.post("s01-c01", "/api/cases",
                           {"matter": "QY-001", "applicant": "Zhao Lei"})["id"]
        self.tb.post("s01-c01", f"/api/cases/{cid}/forward", {"to": "district"})

        def delivered():
            if cid not in self.tb.case_ids("district"):
                return False
            hops = self.tb.get("district", f"/api/cases/{cid}")["hops"]
            return hops and hops[-1]["stage"] == "delivered"
        poll_until("the forward delivered at the district", delivered, 20)
        self.tb.post("district", f"/api/cases/{cid}/accept", {})
        poll_until("links drained", lambda: quiescent(self.tb), 30)
        self.tb.stop("s01")  # the district and the community can no longer see each other
        self.tb.post("district", f"/api/cases/{cid}/edit", {"field": "priority", "value": "high"})
        self.tb.post("s01-c01", f"/api/cases/{cid}/edit", {"field": "priority", "value": "low"})
        self.tb.start("s01")
        # The page's conflict list is refreshed every 10 s at most.
        got = poll_until("the conflict in /api/health at the district", lambda: [
            c for c in self.tb.get("district", "/api/health")["conflicts"] if c["case"] == cid], 30)
        self.assertEqual(got[0]["rule"], "concurrent_edit")
        self.wait_state("district", "s01", "in_step", 20, "after restart")

    def test_05_skewed_clock_shows_clock_skewed(self):
        faketime = shutil.which("faketime")
        if not faketime:
            skip(self, "faketime is not installed (Debian package faketime)")
        node = "s02-c01"
        self.tb.stop(node)
        node_dir = os.path.dirname(self.cfg(node))
        with open(self.node_file(node, "casesyncd-faketime.log"), "ab") as out:
            # faketime runs the daemon as its child: a session of their own lets the cleanup end
            # both through the process group.
            proc = subprocess.Popen([faketime, "-f", f"+{SKEW_S}s", tool("casesyncd"),
                                     "--config", self.cfg(node)],
                                    cwd=node_dir, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.addCleanup(self.stop_group, proc, node)
        poll_until(f"{node} serving under faketime",
                   lambda: proc.poll() is None and urllib.request.urlopen(
                       self.tb.api(node) + "/healthz", timeout=5).status == 200, 20)
        for at in ("s02", "district"):
            e = self.wait_state(at, node, "clock_skewed", 20)
            log(f"{node} at {at}: clock_skewed, {e['clock_offset_ms']} ms: {e['reason']}")
            self.assertAlmostEqual(e["clock_offset_ms"] / 1000, SKEW_S, delta=3)
            self.assertIn("ahead of its parent", e["reason"])

    def stop_group(self, proc, node):
        """Ends faketime and the daemon it runs (SIGTERM: the daemon drains and exits)."""
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

        def api_gone():
            try:
                urllib.request.urlopen(self.tb.api(node) + "/healthz", timeout=2)
                return False
            except OSError:
                return True
        poll_until(f"{node} under faketime stopped", api_gone, 20)

    def test_06_forged_event_raises_security_alert(self):
        forge = os.path.join(bin_dir(), "tests", "forge_frame")
        self.assertTrue(os.path.exists(forge),
                        f"{forge} is not built (tests/CMakeLists.txt builds tests/forge_frame.cc)")
        child, street = "s01-c02", "s01"
        self.tb.stop(child)
        with open(self.cfg(street), "rb") as f:
            endpoint = tomllib.load(f)["node"]["listen"]
        link = [l for l in self.tb.get(street, "/api/status")["links"] if l["peer"] == child][0]
        args = [forge, "--endpoint", endpoint, "--as", child,
                "--applied-pos", str(link["sent_acked_pos"])]
        # An outsider first; when CurveZMQ turns it away (exit 77), a compromised node: the
        # forger holds the child's identity key, so only the event's signature is wrong.
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if r.returncode == 77:
            log(r.stdout.strip() + "; forging with the key of " + child)
            r = subprocess.run(args + ["--key", self.node_file(child, "node.key"),
                                       "--parent-pub", self.node_file(street, "node.pub")],
                               capture_output=True, text=True, timeout=60)
        if r.returncode == 77:
            skip(self, f"{street} refused both a plain and a CurveZMQ connection as {child}: "
                       f"{r.stdout.strip()}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        log(r.stdout.strip())

        e = self.wait_state(street, child, "security_alert", 10)
        self.assertIn("bad_signature", e["reason"])
        self.assertIn("refused here from it", e["reason"])
        own = self.wait_state(street, street, "security_alert", 10)
        self.assertIn("bad_signature", own["reason"])
        alerts = self.tb.get(street, "/api/health")["security_alerts"]
        self.assertIn({"node": child, "reject_reason": "bad_signature", "counted_by": street},
                      [{k: a[k] for k in ("node", "reject_reason", "counted_by")} for a in alerts])
        # The street's own signed report carries its rejects up: the district sees it too.
        up = self.wait_state("district", street, "security_alert", 10)
        self.assertIn("bad_signature", up["reason"])
        self.assertIn(f"casesyncctl security-alert clear {street}", up["reason"], "what to do")
        # Understood: the admin clears it at the district; it is recorded, and the street is in
        # step again at the district (its refusals stay counted where they happened).
        cfg = self.tb.nodes["district"]["config"]
        r = ctl("--config", cfg, "security-alert", "clear", street, "--reason", "forge test")
        self.assertIn("cleared", r.stdout)
        self.wait_state("district", street, "in_step", 10)
        record = os.path.join(os.path.dirname(cfg), "data", "security_clears.jsonl")
        with open(record) as f:
            rec = json.loads(f.read().splitlines()[-1])
        self.assertEqual((rec["node"], rec["reason"], rec["by"]), (street, "forge test", "admin"))
        again = ctl("--config", cfg, "security-alert", "clear", street, "--reason", "x", check=False)
        self.assertEqual(again.returncode, 1, "nothing left to clear")
        with urllib.request.urlopen(self.tb.api(street) + "/metrics", timeout=30) as m:
            self.assertRegex(m.read().decode(),
                             r'casesync_rejects_total\{reason="bad_signature"\} [1-9]')

    def test_07_dashboard_shows_the_tree_and_recolours_a_stopped_node(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            skip(self, "chromium is not installed (Debian package chromium)")
        # The page asks for a token; one in the fragment signs it in (it never reaches the server).
        url = self.tb.api("district") + "/#token=" + self.tb.token("district")
        with urllib.request.urlopen(url, timeout=30) as r:
            page = r.read().decode()
        self.assertNotRegex(page, r"(src|href)=\"?(https?:)?//", "the page loads something external")
        node = "s02-c02"
        self.wait_state("district", node, "in_step", 10)
        rows = self.render(chromium, url)
        self.assertEqual(set(rows), set(self.tb.nodes), "the tree must show every node")
        self.assertEqual(rows[node][0], "in_step")
        self.assertIn("state-in_step", rows[node][1])

        self.tb.stop(node)
        self.wait_state("district", node, "offline", OFFLINE_BOUND_S + 5)
        health = self.tb.get("district", "/api/health")
        dom = self.chromium(chromium, "--dump-dom", url)
        rows = NodeRows()
        rows.feed(dom)
        rows = rows.rows
        self.assertEqual(rows[node][0], "offline")
        for c in health["conflicts"]:
            self.assertIn(f'data-conflict="{c["case"]}"', dom, "a conflict is missing from the page")
        for a in health["security_alerts"]:
            self.assertIn(f'class="alert-row" data-node="{a["node"]}"', dom)
        self.assertIn("state-offline", rows[node][1])
        artifacts = os.path.join(bin_dir(), "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        png = os.path.join(artifacts, "health.png")
        if os.path.exists(png):
            os.remove(png)
        self.chromium(chromium, "--window-size=1280,900", f"--screenshot={png}", url)
        self.assertGreater(os.path.getsize(png), 10000, "the screenshot is empty")
        log(f"dashboard screenshot: {png}")
        self.tb.start(node)
        self.wait_state("district", node, "in_step", 20, "after restart")

    def test_08_dashboard_speaks_chinese_then_english_and_stays_on_the_node(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            skip(self, "chromium is not installed (Debian package chromium)")
        base = self.tb.api("district")
        token = self.tb.token("district")
        artifacts = os.path.join(bin_dir(), "test-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        for lang, query, tag, labels, absent in (
                ("zh", "", "zh-CN", ["节点", "超时滞留环节", "安全告警", "同步正常", "English"],
                 "Stalled hops"),
                ("en", "?lang=en", "en", ["Nodes", "Stalled hops", "Security alerts", "in_step",
                                          "中文"], "超时滞留环节")):
            url = f"{base}/{query}#token={token}"
            netlog = os.path.join(self.tmp, f"netlog-{lang}.json")
            dom = self.chromium(chromium, f"--log-net-log={netlog}", "--dump-dom", url)
            self.assertIn(f'<html lang="{tag}">', dom)
            for label in labels:
                self.assertIn(label, dom, f"{lang}: the page lacks {label}")
            # What shows (the script holds the whole catalogue, English msgids included).
            visible = re.sub(r"<script>.*?</script>", "", dom, flags=re.S)
            self.assertNotIn(absent, visible, f"{lang}: the other language leaked into the page")
            self.assertIn('data-state="in_step"', dom, "the rows keep their English data-state")
            urls = page_requests(netlog, base)
            self.assertIn(f"{base}/api/health", urls, "the net log saw no API call")
            outside = sorted(u for u in urls if not u.startswith(base + "/"))
            self.assertEqual(outside, [], f"{lang}: the page asked for something off the node")
            png = os.path.join(artifacts, f"health-{lang}.png")
            if os.path.exists(png):
                os.remove(png)
            self.chromium(chromium, "--window-size=1280,900", f"--screenshot={png}", url)
            self.assertGreater(os.path.getsize(png), 10000, "the screenshot is empty")
            log(f"dashboard screenshot ({lang}): {png}")

    def chromium(self, chromium, *args):
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.tmp)
        try:
            r = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                               capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return r.stdout

    def render(self, chromium, url):
        parser = NodeRows()
        parser.feed(self.chromium(chromium, "--dump-dom", url))
        return parser.rows

if __name__ == "__main__":
    unittest.main(verbosity=2)
