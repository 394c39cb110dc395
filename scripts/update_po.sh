#!/usr/bin/env bash
# Regenerates po/casesync.pot from the sources (scripts/extract_messages.py: the CLI's tr("...")
# and N_("..."), the pages' t("...")) and merges it into po/zh_CN.po: new messages arrive
# untranslated (tests/po_check.py fails until they are translated), vanished ones become
# obsolete. Run after changing any user-facing text.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/extract_messages.py po/casesync.pot
# No locations: a message moving between lines is no change to translate.
msgmerge --quiet --update --backup=none --no-location --sort-output po/zh_CN.po po/casesync.pot
# Messages no source holds any more are dropped, not kept as obsolete (#~) entries.
msgattrib --no-obsolete --sort-output -o po/zh_CN.po po/zh_CN.po
