"""Proves casesyncctl's habits (issue 17): every command and subcommand answers --help and -h with
its own usage and exit 0, and a usage error is one line plus `see: casesyncctl CMD --help`, exit 2
— in English and in Chinese (the default). No node is needed: nothing here opens a socket."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import english_env, tool  # noqa: E402

# Every command casesyncctl dispatches (cli/main.cc, cli/case_cmds.cc, cli/trust_cmds.cc, ...).
COMMANDS = [
    "keygen", "admin-token new", "clerk add", "clerk list", "clerk disable", "root init",
    "roster sign", "roster push", "enroll request", "enroll approve", "revoke", "config check",
    "matters", "case create", "case show", "case trace", "case forward", "case accept",
    "case reply", "case return", "case supplement", "case supplied", "case notify",
    "case withdraw", "case complete", "case reopen", "case edit", "case note",
    "case receipt", "case notice", "cases",
    "conflicts", "stalled", "stats", "calendar due", "import", "status", "webhook list",
    "webhook retry", "health", "security-alert clear", "backup", "restore", "testbed", "help",
]
# The first words alone answer too: `casesyncctl case --help` lists every case subcommand.
LANGS = ("en", "zh")
GROUPS = sorted({c.split()[0] for c in COMMANDS})

# Usage errors and the help topic their see-line must name.
USAGE_ERRORS = [
    (["keygen"], "keygen"),
    (["keygen", "--bogus"], "keygen"),
    (["case"], "case"),
    (["case", "bogus"], "case"),
    (["case", "show"], "case show"),
    (["case", "forward", "x-000001"], "case forward"),
    (["cases", "extra"], "cases"),
    (["stats"], "stats"),
    (["stalled", "--bogus"], "stalled"),
    (["clerk"], "clerk"),
    (["clerk", "add"], "clerk add"),
    (["webhook"], "webhook"),
    (["calendar", "due"], "calendar due"),
    (["config", "check"], "config check"),
    (["roster", "sign"], "roster sign"),
    (["enroll"], "enroll"),
    (["revoke", "--roster"], "revoke"),
    (["testbed", "up"], "testbed"),
    (["bogus"], None),
    ([], None),
]


def run(args, lang, locale=None):
    env = english_env() if lang == "en" else {
        k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    if locale:
        env["LANG"] = locale
    # No config or token of the machine running the test may change what is printed.
    env["CASESYNC_CONFIG"] = "/nonexistent/casesyncd.toml"
    env.pop("CASESYNC_TOKEN", None)
    return subprocess.run([tool("casesyncctl"), *args], capture_output=True, text=True, env=env,
                          timeout=30)


class HelpTest(unittest.TestCase):
    def test_every_command_answers_help_with_its_own_usage(self):
        whole = {lang: run(["--help"], lang).stdout.count("\n") for lang in LANGS}
        for lang in LANGS:
            for command in COMMANDS + GROUPS:
                for flag in ("--help", "-h"):
                    args = command.split() + [flag]
                    with self.subTest(args=args, lang=lang):
                        r = run(args, lang)
                        self.assertEqual(r.returncode, 0, r.stderr)
                        self.assertEqual(r.stderr, "")
                        self.assertIn(command.split()[0], r.stdout)
                        if command not in ("help", "testbed"):
                            # Its own entry (a group: its subcommands'), not the whole manual.
                            self.assertIn("  " + command, r.stdout)
                            lines = r.stdout.count("\n")
                            if any(c.startswith(command + " ") for c in COMMANDS):
                                self.assertLess(lines, whole[lang] * 2 // 3, r.stdout)
                            else:
                                self.assertLess(lines, 30, r.stdout)

    def test_whole_help_lists_every_command(self):
        r = run(["--help"], "en")
        self.assertEqual(r.returncode, 0)
        for command in COMMANDS:
            self.assertIn("  " + command, r.stdout)

    def test_a_usage_error_is_one_line_and_the_see_line(self):
        see = {"en": "see:", "zh": "参见:"}
        for lang in LANGS:
            for args, topic in USAGE_ERRORS:
                with self.subTest(args=args, lang=lang):
                    r = run(args, lang)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    self.assertEqual(r.stdout, "")
                    lines = r.stderr.splitlines()
                    self.assertEqual(len(lines), 2, r.stderr)
                    self.assertTrue(lines[0].startswith("casesyncctl"), lines[0])
                    name = f"casesyncctl {topic} --help" if topic else "casesyncctl --help"
                    self.assertEqual(lines[1], f"{see[lang]} {name}")


class LanguageTest(unittest.TestCase):
    def test_chinese_unless_the_locale_names_english(self):
        for locale in (None, "C", "C.UTF-8", "POSIX", "zh_CN.UTF-8", "de_DE.UTF-8"):
            with self.subTest(locale=locale):
                r = run(["case", "--help"], "zh", locale)
                self.assertIn("用法：", r.stdout)
                self.assertIn("签收", r.stdout)
        for locale in ("en_US.UTF-8", "en_GB", "en"):
            with self.subTest(locale=locale):
                r = run(["case", "--help"], "zh", locale)
                self.assertIn("Usage:", r.stdout)
                self.assertIn("answer the hop", r.stdout)
        # LC_ALL wins over LANG, as in POSIX.
        env_r = subprocess.run([tool("casesyncctl"), "stats"], capture_output=True, text=True,
                               env=dict(os.environ, LANG="zh_CN.UTF-8", LC_ALL="en_US.UTF-8"))
        self.assertIn("see: casesyncctl stats --help", env_r.stderr)

    def test_json_stays_english(self):
        r = run(["stats", "--json"], "zh")
        self.assertEqual(r.returncode, 2)
        self.assertIn('"message": "stats needs --from DATE --to DATE (YYYY-MM-DD)"', r.stdout)


if __name__ == "__main__":
    unittest.main()
