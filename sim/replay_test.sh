#!/bin/sh
# Proves a seed replays bit for bit in another process: one seed runs in two processes that differ
# in everything a run must not depend on (environment, address layout, heap contents, working
# directory), and their trace hashes — which cover every byte on the wire, signatures included —
# must be equal. usage: replay_test.sh CASESYNC_SIM SEED [casesync_sim options...]
set -u
sim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")  # absolute: the second run changes directory
seed=$2
shift 2

trace_of() {
  printf '%s\n' "$1" | sed -n 's/^seed .*: .*, trace \([0-9a-f]\{16\}\)$/\1/p'
}

first=$("$sim" --seed="$seed" "$@" 2>&1)
first_rc=$?
# The second process: another working directory, an environment of another size (the stack
# moves), freed heap memory overwritten (MALLOC_PERTURB_), and a fresh address layout anyway.
second=$(cd / && env -i PATH="${PATH:-/usr/bin:/bin}" CASESYNC_REPLAY_PAD="$(printf '%0777d' 0)" \
  MALLOC_PERTURB_=165 "$sim" --seed="$seed" "$@" 2>&1)
second_rc=$?

a=$(trace_of "$first")
b=$(trace_of "$second")
echo "process 1 (exit $first_rc): trace ${a:-none}"
echo "process 2 (exit $second_rc): trace ${b:-none}"
if [ -z "$a" ] || [ "$a" != "$b" ] || [ "$first_rc" != "$second_rc" ]; then
  echo "FAILED: seed $seed did not replay bit for bit in a second process" \
       "(reproduce: make sim SEED=$seed${*:+ SIM_ARGS=\"$*\"}, twice)"
  printf '%s\n' "--- process 1:" "$first" "--- process 2:" "$second"
  exit 1
fi
echo "ok: seed $seed${*:+ ($*)} replays bit for bit in another process"
