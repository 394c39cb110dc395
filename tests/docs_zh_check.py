"""Proves the Chinese docs are kept in step with the English ones (issue 17): docs/zh/README.md
and docs/zh/INSTALL.md hold the same commands, in the same order, as README.md and
docs/INSTALL.md (every indented or fenced block, byte for byte), and as many sections. A command
changed on one side only fails here."""

import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = [("README.md", "docs/zh/README.md"), ("docs/INSTALL.md", "docs/zh/INSTALL.md")]


def blocks(path):
    """The doc's code: fenced blocks and 4-space indented blocks (list items' too), in order."""
    out, fenced, current = [], None, []
    for line in open(os.path.join(ROOT, path), encoding="utf-8").read().split("\n"):
        if fenced is not None:
            if line.strip().startswith("```"):
                out.append("\n".join(fenced))
                fenced = None
            else:
                fenced.append(line.strip())
            continue
        if line.strip().startswith("```"):
            fenced = []
            continue
        indented = re.match(r"^( {4}| {7})\s*\S", line) and not re.match(r"^\s*([-*]|\d+\.) ", line)
        if indented:
            current.append(line.strip())
        elif current and line.strip():
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return [b for b in out if b]


def sections(path):
    return [l for l in open(os.path.join(ROOT, path), encoding="utf-8") if l.startswith("#")]


class DocsInStep(unittest.TestCase):
    def test_same_commands_and_sections(self):
        for english, chinese in PAIRS:
            with self.subTest(doc=chinese):
                self.assertTrue(os.path.exists(os.path.join(ROOT, chinese)), chinese)
                self.assertEqual(blocks(chinese), blocks(english),
                                 f"{chinese} and {english} differ in their commands")
                self.assertEqual(len(sections(chinese)), len(sections(english)),
                                 f"{chinese} and {english} differ in their sections")


if __name__ == "__main__":
    unittest.main()
