#!/usr/bin/env python3
"""Proves issue 26's calendar input rules on the real casesyncctl, offline: counts outside
1..3650 and dates that do not exist exit 2 with a message naming the flag; 3650 working days are
reached; a year without a published schedule skips New Year's Day and warns."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ctl  # noqa: E402


def due(*args):
    return ctl("calendar", "due", *args, check=False)


class CalendarInput(unittest.TestCase):
    def test_counts_outside_the_range_are_refused(self):
        for flag in ("--working-days", "--working-hours"):
            for bad in ("0", "-1", "3651", "100000", "1.5", "x", " 3"):
                r = due("--from", "2026-11-25", flag, bad)
                self.assertEqual(r.returncode, 2, (flag, bad, r.stdout, r.stderr))
                self.assertIn(flag, r.stderr)
                self.assertIn("1..3650", r.stderr)

    def test_dates_that_do_not_exist_are_refused(self):
        for bad in ("2026-02-30", "2026-02-29", "2026-13-01", "2026-04-31", "2026-11-25T24:00",
                    "2026-11-25T09:60", "2026-11-25x", "26-11-25"):
            r = due("--from", bad, "--working-days", "1")
            self.assertEqual(r.returncode, 2, (bad, r.stdout, r.stderr))
            self.assertIn("--from", r.stderr)

    def test_day_one_is_the_next_working_day_due_at_half_past_five(self):
        r = due("--from", "2026-11-25T10:00", "--working-days", "3", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["due"], "2026-11-30T17:30")
        r = due("--from", "2026-11-25T17:00", "--working-hours", "1")
        self.assertEqual(r.stdout.strip(), "2026-11-26T09:30")

    def test_the_longest_limit_is_reached_and_unpublished_years_warn(self):
        r = due("--from", "2026-11-25", "--working-days", "3650", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertGreaterEqual(int(out["due"][:4]), 2040)  # ~14.6 years of working days
        self.assertIn(2027, out["missing_years"])
        self.assertEqual(r.stderr.count("WARNING"), 1, r.stderr)  # one line, all years named

    def test_new_years_day_of_an_unpublished_year_is_a_holiday(self):
        r = due("--from", "2026-12-31T10:00", "--working-days", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "2027-01-04T17:30")  # Fri 1 Jan skipped
        self.assertIn("2027", r.stderr)
        self.assertIn("statutory holidays", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
