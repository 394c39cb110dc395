#!/usr/bin/env bash
# Regenerates po/casesync.pot from the sources (every tr("...") and N_("...")) and merges it into
# po/zh_CN.po: new messages arrive untranslated (tests/po_check.py fails until they are
# translated), vanished ones become obsolete. Run after changing any user-facing text.
set -euo pipefail
cd "$(dirname "$0")/.."
# No locations: a message moving between lines is no change to translate.
xgettext --language=C++ --from-code=UTF-8 --keyword=tr --keyword=N_ --no-location --sort-output \
  --package-name=casesync --msgid-bugs-address=casesync@example.org \
  -o po/casesync.pot $(scripts/po_sources.sh)
if [[ -f po/zh_CN.po ]]; then
  msgmerge --quiet --update --backup=none --no-location --sort-output po/zh_CN.po po/casesync.pot
else
  msginit --no-translator --locale=zh_CN.UTF-8 --input=po/casesync.pot --output-file=po/zh_CN.po
fi
