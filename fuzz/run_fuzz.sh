#!/bin/sh
# Runs every libFuzzer target in BUILD_DIR/fuzz for FUZZ_SECONDS each (make fuzz). New inputs go
# to BUILD_DIR/fuzz-corpus/<target>/ (the committed seeds in fuzz/corpus/<target>/ are read, never
# written); crashes land in BUILD_DIR/fuzz-artifacts/<target>/. Exit 1 when any target crashed.
#   fuzz/run_fuzz.sh BUILD_DIR [SECONDS]
set -u
build=${1:?usage: run_fuzz.sh BUILD_DIR [SECONDS]}
seconds=${2:-${FUZZ_SECONDS:-60}}
src=$(cd "$(dirname "$0")" && pwd)
failed=""
for bin in "$build"/fuzz/fuzz_*; do
  t=$(basename "$bin" | sed 's/^fuzz_//')
  [ "$t" = make_seeds ] && continue
  [ -d "$src/corpus/$t" ] || continue
  mkdir -p "$build/fuzz-corpus/$t" "$build/fuzz-artifacts/$t"
  echo "== fuzz_$t for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$t/" "$build/fuzz-corpus/$t" "$src/corpus/$t" \
      > "$build/fuzz-artifacts/$t/log.txt" 2>&1; then
    failed="$failed $t"
    echo "   CRASH: see $build/fuzz-artifacts/$t/ (log.txt and the crash-* reproducer)"
  fi
  grep -E "^(stat::number_of_executed_units|stat::new_units_added)" \
    "$build/fuzz-artifacts/$t/log.txt" | sed 's/^/   /'
done
if [ -n "$failed" ]; then
  echo "fuzz: crashes in:$failed"
  exit 1
fi
echo "fuzz: no crashes"
