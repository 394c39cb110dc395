#!/usr/bin/env python3
"""The local API under abuse (issue 24), measured on a real district node: its memory while a
1 GiB body is pushed at it (sized and chunked), and /healthz and /api/status latency alone,
beside 300 slow connections (150 half-open, 150 slowloris), beside 50 long-polls, and beside
both. A benchmark, not a test: it prints a table and writes JSON, and exits 0 either way.

    make bench-abuse                       # or: CASESYNC_BIN=build python3 bench/api_abuse.py
    python3 bench/api_abuse.py --out bench-out/api_abuse.json

Loopback only (sync port 23500, API 24500); every client is bounded in count and time."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from abuse_clients import (LongPolls, SlowClients, chunked_body, p50, p99,  # noqa: E402
                           sized_body, timed_get, vm_kb)
from harness import Testbed, http, poll_until  # noqa: E402

GIB = 1 << 30
BASE_PORT = int(os.environ.get("ABUSE_BENCH_BASE_PORT", 23500))


def latencies(api, samples):
    health = [timed_get(api, "/healthz") for _ in range(samples)]
    ordinary = [timed_get(api, "/api/status") for _ in range(samples // 3)]
    return {"healthz_p50_ms": round(p50(health) * 1000, 2),
            "healthz_p99_ms": round(p99(health) * 1000, 2),
            "status_p99_ms": round(p99(ordinary) * 1000, 2)}


def wait_connections(tb, open_min, parked_min):
    def ready():
        c = tb.get("district", "/api/status")["api_connections"]
        return c["open"] >= open_min and c["parked"] >= parked_min
    poll_until(f"{open_min} open API connections, {parked_min} parked", ready, timeout_s=60)


def body_figures(api, pid):
    out = {}
    for name, push in (("sized", sized_body), ("chunked", chunked_body)):
        start = time.monotonic()
        status, _, sent = push(api, "/api/import", GIB)
        out[f"{name}_gib_status"] = status
        out[f"{name}_gib_answer_ms"] = round((time.monotonic() - start) * 1000, 1)
        out[f"{name}_gib_sent_mib_before_answer"] = round(sent / (1 << 20), 1)
        out[f"{name}_gib_peak_rss_mib"] = round(vm_kb(pid) / 1024, 1)
    return out


def waiter_figures(tb, api, samples):
    since = tb.get("district", "/api/changes")["next"]
    polls = LongPolls(api, since, 50).start()
    wait_connections(tb, 0, 50)
    out = {f"waiters50_{k}": v for k, v in latencies(api, samples).items()}
    matter = tb.get("district", "/api/matters")[0]["code"]
    posted = time.monotonic()
    http("POST", api + "/api/cases", {"matter": matter, "applicant": "bench"})
    results = polls.join(timeout_s=30)
    out["waiters50_answered"] = sum(1 for r in results if r[0] == 200 and r[1]["changes"])
    out["waiters50_all_answered_ms"] = round((time.monotonic() - posted) * 1000, 1)
    return out


def run(work, samples):
    tb = Testbed(os.path.join(work, "tb"), streets=1, communities=0, base_port=BASE_PORT)
    tb.up()
    try:
        api, pid = tb.api("district"), tb.nodes["district"]["pid"]
        figures = {"idle_rss_mib": round(vm_kb(pid, "VmRSS") / 1024, 1)}
        figures.update({f"alone_{k}": v for k, v in latencies(api, samples).items()})
        figures.update(body_figures(api, pid))
        with SlowClients(api, half_open=150, slowloris=150):
            wait_connections(tb, 300, 0)
            figures.update({f"slow300_{k}": v for k, v in latencies(api, samples).items()})
            figures.update({f"slow300_and_{k}": v for k, v in waiter_figures(tb, api, samples).items()})
        figures.update(waiter_figures(tb, api, samples))
        figures["peak_rss_mib"] = round(vm_kb(pid) / 1024, 1)
        return figures
    finally:
        tb.down()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out", "api_abuse.json"))
    ap.add_argument("--samples", type=int, default=600, help="/healthz requests per scenario")
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="casesync-api-abuse-")
    try:
        figures = run(work, args.samples)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"{k:<{width}}  {v}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(figures, f, indent=2)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
