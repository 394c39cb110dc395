#!/usr/bin/env python3
"""Goodput over a terminal link (issue: weak networks), a benchmark, not a test.

district <- s01 <- (fault proxy: 64 kbit/s each way, 150 ms each way, no resets) <- s01-c01.
2,000 events written at the community (100 cases + 1,900 notes, as weak_test writes them) while
its link is up; timed from the first write until the street holds them all. Prints the goodput
in wire bytes (what the proxy carried up, against its cap) and in event bytes (what was
replicated, compression included), and writes them as JSON when --out is given.

    CASESYNC_BIN=build python3 bench/weak_link_goodput.py [--out FILE]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from fault_proxy import FaultProxy  # noqa: E402
from harness import Testbed, event_keys  # noqa: E402
import weak_test as w  # noqa: E402

BASE_PORT = int(os.environ.get("GOODPUT_BASE_PORT", 23500))
COMMUNITY, STREET = "s01-c01", "s01"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="casesync-goodput-")
    tb = Testbed(os.path.join(tmp, "tb"), streets=1, communities=1, base_port=BASE_PORT)
    proxy = FaultProxy(BASE_PORT + 50, BASE_PORT + 1, control_port=BASE_PORT + 51,
                       latency_ms=w.LATENCY_MS, jitter_ms=w.JITTER_MS, rate_bps=w.RATE_BPS,
                       seed=1).start()
    try:
        w.WeakLinkTest.route_through_proxy(tb.nodes[COMMUNITY]["config"], BASE_PORT + 1,
                                           proxy.listen_port)
        tb.up()
        deadline = time.monotonic() + 60
        while w.link_to(tb, COMMUNITY, STREET)["state"] != "up":
            if time.monotonic() > deadline:
                raise SystemExit("the community's link never came up")
            time.sleep(0.05)
        before = proxy.stats()
        started = time.monotonic()
        case_ids = w.import_cases(tb, COMMUNITY, w.WEAK_CASES, "goodput")
        w.write_notes(tb, COMMUNITY, case_ids, w.WEAK_NOTES_PER_CASE)
        want = w.WEAK_EVENTS
        while len(set(event_keys(tb, STREET, COMMUNITY))) < want:
            if time.monotonic() - started > 600:
                raise SystemExit("the street did not get every event within 600 s")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        after = proxy.stats()
        peer = tb.get(COMMUNITY, "/api/status")["counters"]["peers"][STREET]
        up_bytes = after["bytes_up"] - before["bytes_up"] if "bytes_up" in after else None
        sent = peer["bytes_out"]
        encoded = peer.get("bytes_out_uncompressed", sent)
        result = {
            "events": want, "seconds": round(elapsed, 1),
            "cap_bytes_per_s": w.RATE_BYTES_PER_S,
            "wire_bytes_per_s": round(sent / elapsed),
            "wire_goodput_ratio": round((sent - peer["bytes_resent"]) / elapsed / w.RATE_BYTES_PER_S, 3),
            "uncompressed_bytes_per_s": round(encoded / elapsed),
            "uncompressed_goodput_ratio": round(encoded / elapsed / w.RATE_BYTES_PER_S, 3),
            "events_per_s": round(want / elapsed, 1),
            "bytes_resent": peer["bytes_resent"], "bytes_out": sent,
            "proxy_bytes_up": up_bytes,
        }
        print(json.dumps(result, indent=2))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(result, f, indent=2)
    finally:
        tb.down()
        proxy.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
