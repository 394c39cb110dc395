#!/usr/bin/env python3
"""Proves issue 26's `config check` parity: for each of the five configs a tester found passing
`config check` that casesyncd then refused (missing key file, key file 0644, wrong pinned root
key, calendar = "sometimes", missing calendar file), config check now exits non-zero with a
message naming FILE:LINE, and the real daemon refuses with that very message (exit 2)."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ctl, tool  # noqa: E402

# Ports are never opened when the checks work; these are clear of other tests' ranges anyway.
BASE_PORT = int(os.environ.get("CONFIG_CHECK_BASE_PORT", 29900))
DAEMON_REFUSAL_TIMEOUT_S = 60  # the daemon refuses before it opens anything; bound a hang


class ConfigCheckParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-config-check-")
        cls.tb = os.path.join(cls.tmp, "tb")
        ctl("testbed", "init", cls.tb, "--streets", "0", "--communities", "0",
            "--base-port", str(BASE_PORT))
        cls.node_dir = os.path.join(cls.tb, "district")
        with open(os.path.join(cls.node_dir, "casesyncd.toml")) as f:
            cls.good = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def variant(self, name, text):
        path = os.path.join(self.node_dir, name + ".toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def with_calendar(self, name, value):
        # A top-level key must come before the first [table].
        return self.variant(name, self.good.replace("\n[node]", f'\ncalendar = "{value}"\n\n[node]', 1))

    def assert_parity(self, path, expect_line_of):
        r = ctl("config", "check", path, check=False)
        self.assertNotEqual(r.returncode, 0, f"config check said ok for {path}:\n{r.stdout}")
        message = r.stderr.strip()
        self.assertTrue(message, "config check gave no reason")
        # FILE:LINE of the key whose value is the cause.
        with open(path) as f:
            line = next(i for i, t in enumerate(f, 1) if re.match(rf"\s*{expect_line_of}\s*=", t))
        self.assertIn(f"{path}:{line}:", message)
        d = subprocess.run([tool("casesyncd"), "--config", path], capture_output=True, text=True,
                           timeout=DAEMON_REFUSAL_TIMEOUT_S)
        self.assertEqual(d.returncode, 2, d.stderr)
        self.assertIn(message, d.stderr)
        return message

    def test_the_good_config_is_ok_for_both(self):
        path = self.variant("good", self.good)
        r = ctl("config", "check", path, check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = subprocess.run([tool("casesyncd"), "--config", path, "--check"], capture_output=True,
                           text=True, timeout=DAEMON_REFUSAL_TIMEOUT_S)
        self.assertEqual(d.returncode, 0, d.stderr)

    def test_missing_key_file(self):
        path = self.variant("nokey", self.good.replace('key_file = "node.key"', 'key_file = "gone.key"'))
        self.assertIn("gone.key", self.assert_parity(path, "key_file"))

    def test_key_file_readable_by_others(self):
        loose = os.path.join(self.node_dir, "loose.key")
        shutil.copy(os.path.join(self.node_dir, "node.key"), loose)
        os.chmod(loose, 0o644)
        path = self.variant("loosekey", self.good.replace('key_file = "node.key"', 'key_file = "loose.key"'))
        self.assertIn("loose.key", self.assert_parity(path, "key_file"))
        self.assertEqual(stat.S_IMODE(os.stat(loose).st_mode), 0o644)  # never "fixed" behind our back

    def test_wrong_pinned_root_key(self):
        with open(os.path.join(self.node_dir, "node.pub")) as f:
            other = f.read().strip()  # a real key, but not the root's
        pinned = re.search(r'root_public_key = "([0-9a-f]+)"', self.good).group(1)
        path = self.variant("wrongroot", self.good.replace(pinned, other))
        self.assertIn("trust.root_public_key", self.assert_parity(path, "roster"))

    def test_calendar_that_is_no_calendar(self):
        msg = self.assert_parity(self.with_calendar("sometimes", "sometimes"), "calendar")
        self.assertIn("sometimes", msg)
        self.assertIn('"always"', msg)  # says what the key takes

    def test_missing_calendar_file(self):
        msg = self.assert_parity(self.with_calendar("nocal", "/nonexistent/calendar.toml"), "calendar")
        self.assertIn("/nonexistent/calendar.toml", msg)


if __name__ == "__main__":
    unittest.main(verbosity=2)
