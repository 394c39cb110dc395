#!/usr/bin/env bash
# The files whose user-facing strings are translated (po/casesync.pot), relative to the repo.
cd "$(dirname "$0")/.."
ls cli/*.cc cli/*.h | grep -v '^cli/testbed'
