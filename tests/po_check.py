"""Proves the catalogues are complete (issue 17): every message the sources mark (tr, N_) is in
po/casesync.pot, and po/zh_CN.po translates every one of them (none missing, none fuzzy), with
printf directives that match (msgfmt --check). Fails on a new English message nobody translated;
scripts/update_po.sh regenerates the pot and merges it into the po."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PO = os.path.join(ROOT, "po", "zh_CN.po")
POT = os.path.join(ROOT, "po", "casesync.pot")


def entries(path):
    """msgid -> (msgstr, fuzzy) of a .po/.pot file; the header and obsolete entries left out."""
    out = {}
    for block in open(path, encoding="utf-8").read().split("\n\n"):
        lines = block.strip().split("\n")
        fuzzy = any(l.startswith("#,") and "fuzzy" in l for l in lines)
        fields, cur = {"msgid": "", "msgstr": ""}, None
        for line in lines:
            if line.startswith("#"):
                continue
            m = re.match(r'(msgid|msgstr|msgctxt|msgid_plural) (".*")$', line)
            if m:
                cur = m.group(1)
                fields[cur] = json.loads(m.group(2))
            elif line.startswith('"') and cur:
                fields[cur] += json.loads(line)
        if fields["msgid"]:
            out[fields["msgid"]] = (fields["msgstr"], fuzzy)
    return out


def extract():
    """The messages the sources hold now, as scripts/update_po.sh would write them."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import extract_messages  # noqa: E402
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "fresh.pot")
        extract_messages.write_pot(pot)
        return entries(pot)


class CatalogueTest(unittest.TestCase):
    def test_pot_is_current(self):
        fresh, stored = set(extract()), set(entries(POT))
        self.assertEqual(fresh - stored, set(), "new messages: run scripts/update_po.sh")
        self.assertEqual(stored - fresh, set(), "vanished messages: run scripts/update_po.sh")

    def test_every_message_has_a_chinese_translation(self):
        po = entries(PO)
        for msgid in extract():
            with self.subTest(msgid=msgid[:60]):
                self.assertIn(msgid, po, "missing from po/zh_CN.po: run scripts/update_po.sh")
                text, fuzzy = po[msgid]
                self.assertNotEqual(text, "", "untranslated")
                self.assertFalse(fuzzy, "fuzzy: check the translation, drop the flag")

    def test_msgfmt_accepts_the_catalogue(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["msgfmt", "--check", "--statistics", "-o",
                                os.path.join(tmp, "x.mo"), PO], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("untranslated", r.stderr)
        self.assertNotIn("fuzzy", r.stderr)


if __name__ == "__main__":
    unittest.main()
