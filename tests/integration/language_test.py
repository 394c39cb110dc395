#!/usr/bin/env python3
"""Proves that real daemons word an API error, a case-rule refusal and a health reason in the
language asked for (issue 17): Simplified Chinese by default, English with ?lang=en or
Accept-Language: en, and casesyncctl in its locale's language; the codes, fields and JSON keys
are the same in both."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, auth_headers, ctl, english_env, poll_until, tool  # noqa: E402

# Sync ports 22300..22302, API 23300..23302 (testbed: +1000): clear of every other test's ranges.
BASE_PORT = int(os.environ.get("LANGUAGE_BASE_PORT", 22300))
INTERVAL_S, OFFLINE_AFTER_S = 1, 3
CJK = re.compile(r"[\u4e00-\u9fff]")
DISTRICT, STREET, COMMUNITY = "district", "s01", "s01-c01"
NO_SUCH_CASE = "s01-c01-999999"


def ask(url, accept=None, method="GET", body=None):
    """(status, JSON) of one request with the node's token; `accept` is the Accept-Language header
    to send, None for none at all (the node's default)."""
    headers = auth_headers(url)
    del headers["Accept-Language"]
    if accept is not None:
        headers["Accept-Language"] = accept
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Language(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-language-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=1, communities=1,
                         base_port=BASE_PORT,
                         sets=[f"health.interval={INTERVAL_S}s",
                               f"health.offline_after={OFFLINE_AFTER_S}s"])
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def assert_both(self, url, english_part, body=None, method="GET"):
        """The same refusal in Chinese (no header, and a Chinese-first header) and in English
        (?lang=en, and an English-first header): returns the Chinese message."""
        sep = "&" if "?" in url else "?"
        answers = {
            "default": ask(url, None, method, body),
            "zh header": ask(url, "zh-CN,zh;q=0.9,en;q=0.5", method, body),
            "?lang=en": ask(url + sep + "lang=en", None, method, body),
            "en header": ask(url, "en-US,en;q=0.9", method, body),
        }
        statuses = {s for s, _ in answers.values()}
        self.assertEqual(len(statuses), 1, answers)
        for what, (_, j) in answers.items():
            self.assertEqual(set(j), {"error", "message", "field"}, what)
            self.assertEqual((j["error"], j["field"]),
                             (answers["default"][1]["error"], answers["default"][1]["field"]), what)
        for what in ("?lang=en", "en header"):
            message = answers[what][1]["message"]
            self.assertIn(english_part, message, what)
            self.assertIsNone(CJK.search(message), f"{what}: {message}")
        zh = answers["default"][1]["message"]
        self.assertEqual(zh, answers["zh header"][1]["message"])
        self.assertRegex(zh, CJK, "the default answer is Chinese")
        self.assertNotIn(english_part, zh)
        return statuses.pop(), answers["default"][1], zh

    def test_api_error(self):
        url = f"{self.tb.api(COMMUNITY)}/api/cases/{NO_SUCH_CASE}"
        status, answer, zh = self.assert_both(url, f"case {NO_SUCH_CASE} is not held at node")
        self.assertEqual((status, answer["error"], answer["field"]), (404, "not_found", "case_id"))
        self.assertIn(NO_SUCH_CASE, zh)

    def test_case_rule_refusal(self):
        config = self.tb.nodes[COMMUNITY]["config"]
        case_id = json.loads(ctl("--config", config, "case", "create", "--matter", "SP-014",
                                 "--applicant", "李四", "--json").stdout)["id"]
        ctl("--config", config, "case", "forward", case_id, "--to", STREET)
        # The community no longer holds the case: forwarding it again is refused by the rules.
        url = f"{self.tb.api(COMMUNITY)}/api/cases/{case_id}/forward"
        status, answer, zh = self.assert_both(url, f"only the holder may forward case {case_id}",
                                              body={"to": DISTRICT}, method="POST")
        self.assertEqual((status, answer["error"]), (409, "conflict"))
        self.assertIn(case_id, zh)
        # casesyncctl asks in its own locale's language.
        args = [tool("casesyncctl"), "--config", config, "case", "forward", case_id, "--to", DISTRICT]
        for lang, english in (("zh_CN.UTF-8", False), ("en_US.UTF-8", True)):
            env = english_env()
            env["LANG"] = lang
            r = subprocess.run(args, capture_output=True, text=True, env=env)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            said = r.stdout + r.stderr
            self.assertEqual("only the holder may forward" in said, english, said)
            self.assertEqual(CJK.search(said) is not None, not english, said)

    def test_health_reason(self):
        district = self.tb.api(DISTRICT)

        def row(query=""):
            _, h = ask(f"{district}/api/health{query}")
            return next(n for n in h["nodes"] if n["id"] == COMMUNITY)

        # Heard once, so that going silent is "no health report for ...", not "never reported".
        poll_until(f"the district hearing {COMMUNITY}", lambda: row()["last_seen"],
                   timeout_s=OFFLINE_AFTER_S * 20)
        self.tb.stop(COMMUNITY)
        try:
            def offline():
                r = row("?lang=en")
                return r if r["state"] == "offline" else None

            row_en = poll_until(f"{COMMUNITY} offline at the district", offline,
                                timeout_s=OFFLINE_AFTER_S * 20)
            self.assertTrue(row_en["reason"].startswith("no health report for"), row_en)
            row_zh = row()
            # The state is a code, the reason words: only the words change with the language.
            self.assertEqual(row_zh["state"], "offline")
            self.assertEqual(set(row_zh), set(row_en))
            self.assertRegex(row_zh["reason"], CJK)
            self.assertNotIn("no health report", row_zh["reason"])
        finally:
            self.tb.start(COMMUNITY)


if __name__ == "__main__":
    unittest.main()
