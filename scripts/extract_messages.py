#!/usr/bin/env python3
"""Writes the message template (po/casesync.pot, or the file named) from the sources: xgettext for
the C++ (tr("...") and N_("...")), and the t("...") calls of the pages casesyncd serves
(daemon/*.html and the script they share, daemon/page_common.js: both the {{ t("...") }} the daemon fills in and the script's t("...")), which
xgettext cannot read inside HTML. Used by scripts/update_po.sh and tests/po_check.py."""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CXX_SOURCES = ["cli/*.cc", "cli/*.h", "common/*.cc", "daemon/*.cc", "config/*.cc", "sync/*.cc"]
CXX_EXCLUDED = ["cli/testbed.cc", "cli/testbed.h"]  # a developer's tool, English
PAGES = ["daemon/*.html", "daemon/*.js"]
# A JavaScript/template string literal in double quotes, as the pages write them.
PAGE_CALL = re.compile(r'\bt\("((?:[^"\\\n]|\\.)*)"\)')


def files(patterns, excluded=()):
    out = []
    for p in patterns:
        out += sorted(glob.glob(os.path.join(ROOT, p)))
    return [os.path.relpath(f, ROOT) for f in out if os.path.relpath(f, ROOT) not in excluded and not f.endswith("_test.cc")]


def page_messages():
    found = []
    for page in files(PAGES):
        for m in PAGE_CALL.finditer(open(os.path.join(ROOT, page), encoding="utf-8").read()):
            text = json.loads('"' + m.group(1) + '"')
            if text not in found:
                found.append(text)
    return found


def po_string(text):
    return json.dumps(text, ensure_ascii=False)


def write_pot(out):
    with tempfile.TemporaryDirectory() as tmp:
        cxx, page = os.path.join(tmp, "cxx.pot"), os.path.join(tmp, "page.pot")
        subprocess.run(["xgettext", "--language=C++", "--from-code=UTF-8", "--keyword=tr",
                        "--keyword=N_", "--keyword=ui_text", "--no-location", "--package-name=casesync",
                        "--msgid-bugs-address=casesync@example.org", "-o", cxx,
                        *files(CXX_SOURCES, CXX_EXCLUDED)], cwd=ROOT, check=True)
        with open(page, "w", encoding="utf-8") as f:
            f.write('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n')
            for text in page_messages():
                f.write(f"\nmsgid {po_string(text)}\nmsgstr \"\"\n")
        subprocess.run(["msgcat", "--use-first", "--sort-output", "--no-location", "-o", out,
                        cxx, page], check=True)


if __name__ == "__main__":
    write_pot(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "po", "casesync.pot"))
