#!/usr/bin/env python3
"""casesync demo: a whole district on loopback — 1 district, 13 town-streets, 2 communities under
each (40 real casesyncd processes, each with its own key, config and SQLite file). Cases are
created at community terminals and at the district, and the demo shows where they arrive.

  make demo                      # run the scenario, then keep the district up until Ctrl-C
  make demo DEMO_ARGS=--once     # run, print the summary, exit 0 only if every node holds
                                 # exactly what it should
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402
from harness import Testbed, expected_holders, log, poll_until  # noqa: E402

STREETS = 13
COMMUNITIES = 2


def follow(tb, cid, holders, started):
    """Polls the nodes that must hold the case until all do; returns {node: ms after creation}."""
    seen = {}

    def arrived():
        now = time.monotonic()
        for node in holders - set(seen):
            if cid in tb.case_ids(node):
                seen[node] = (now - started) * 1000
        return len(seen) == len(holders)

    poll_until(f"case {cid} to reach {sorted(holders)}", arrived, timeout_s=30, interval_s=0.002)
    return seen


def scenario(tb, parent):
    """Creates the demo's cases one by one and follows each to every node that must hold it.
    Returns {case_id: (origin, [forward targets], {node: ms})}."""
    cases = {}

    def create(node, matter, applicant, forward_to=None):
        started = time.monotonic()
        cid = tb.post(node, "/api/cases", {"matter": matter, "applicant": applicant})["id"]
        fwd = []
        if forward_to:
            tb.post(node, f"/api/cases/{cid}/forward", {"to": forward_to})
            fwd.append(forward_to)
        holders = expected_holders(parent, node, fwd)
        cases[cid] = (node, fwd, follow(tb, cid, holders, started))

    create("s01-c01", "QY-001", "Wang Fang")        # enterprise registration at a community
    create("s05-c02", "SP-014", "Chen Jie")         # food business licence
    create("s13-c01", "QY-001", "Zhao Lei")
    create("s07", "MZ-003", "Liu Yang")             # at a street centre
    create("district", "SP-014", "Sun Li", forward_to="s09-c02")  # received at the district, sent down
    return cases


def print_timelines(tb, cases):
    log("")
    log("== Where each case went (ms after the clerk pressed enter; polled, so an upper bound) ==")
    for cid, (origin, fwd, seen) in cases.items():
        c = tb.get(origin, f"/api/cases/{cid}")
        log(f"case {cid}  matter={c['matter']}  applicant={c['applicant']}"
            + (f"  forwarded to {', '.join(fwd)}" if fwd else ""))
        for node, t in sorted(seen.items(), key=lambda kv: (kv[0] != origin, kv[1])):
            label = "created" if node == origin else "arrived"
            log(f"   +{t:6.1f} ms  {label:8} {node}")


def round_trip(tb):
    """A case travels community -> street -> district desk and back, each step a signed fact;
    returns its id once the community has completed it and every node agrees."""
    c = tb.post("s03-c01", "/api/cases", {"matter": "SP-014", "applicant": "Zhou Min",
                                          "id_number": "110105199003074321",
                                          "materials": ["申请书", "营业执照"]})
    cid = c["id"]

    def at(node, stage):
        def ok():
            hops = tb.get(node, f"/api/cases/{cid}")["hops"]
            return hops and hops[-1]["stage"] == stage
        return ok

    tb.post("s03-c01", f"/api/cases/{cid}/forward", {"to": "s03"})
    poll_until("the street's delivery receipt", at("s03", "delivered"))
    tb.post("s03", f"/api/cases/{cid}/accept", {})
    tb.post("s03", f"/api/cases/{cid}/forward", {"to": "district", "desk": "market-regulation"})
    poll_until("the district's delivery receipt", at("district", "delivered"))
    tb.post("district", f"/api/cases/{cid}/accept", {"desk": "market-regulation"})
    tb.post("district", f"/api/cases/{cid}/reply", {"outcome": "approved"})
    poll_until("the reply at the street", at("s03", "answered"))
    tb.post("s03", f"/api/cases/{cid}/reply", {"outcome": "approved"})
    poll_until("the reply at the community",
               lambda: tb.get("s03-c01", f"/api/cases/{cid}")["holder"] == "s03-c01")
    tb.post("s03-c01", f"/api/cases/{cid}/complete", {"outcome": "approved"})
    tb.post("s03-c01", f"/api/cases/{cid}/notify", {"channel": "SMS"})
    poll_until("every link to drain", lambda: harness.quiescent(tb), timeout_s=30)
    return cid


def print_trace(tb, cid):
    log("")
    log(f"== Case {cid}: community -> street -> district desk -> back (trace at three nodes) ==")
    traces = {n: tb.get(n, f"/api/cases/{cid}/trace") for n in ("s03-c01", "s03", "district")}
    t = traces["district"]
    for h in t["hops"]:
        log(f"  hop {h['hop']:12} {h['from']:>8} -> {h['to']:9} desk={h['desk'] or '-':18} "
            f"outcome={h['outcome'] or '-'}")
        for k in ("forwarded_at", "delivered_at", "accepted_at", "answered_at"):
            log(f"      {k[:-3]:10} {h[k]}")
    log("  time at each node: " + ", ".join(f"{d['node']} {d['ms']} ms" for d in t["dwell"]))
    log(f"  status {t['status']}  state_hash {t['state_hash'][:16]}...")
    same = all(tr == t for tr in traces.values())
    for n, tr in traces.items():
        log(f"  trace at {n:9} state_hash {tr['state_hash'][:16]}...  "
            f"{'identical' if tr == t else 'DIFFERENT'}")
    return same


# Deadlines of seconds (and the 24-hour `always` calendar) so stalls show while you watch.
DEMO_SETTINGS = ["calendar=always", "deadlines.delivery=4s", "deadlines.accept=4s",
                 "deadlines.answer=6s", "stall.check_interval=1s", "health.interval=1s",
                 "health.offline_after=6s"]


def stalls(tb, parent):
    """A station that never answers and one that is switched off: both stalls, attributed."""
    silent = tb.post("district", "/api/cases", {"matter": "MZ-003", "applicant": "Wu Gang"})["id"]
    tb.post("district", f"/api/cases/{silent}/forward", {"to": "s11"})
    tb.stop("s12")
    off = tb.post("district", "/api/cases", {"matter": "JY-007", "applicant": "Ma Li"})["id"]
    tb.post("district", f"/api/cases/{off}/forward", {"to": "s12"})
    want = {silent: "silent", off: "unreachable"}

    def attributed():
        got = {s["case"]: s for s in tb.get("district", "/api/stalled?overdue=1&fresh=1")}
        return got if all(c in got and got[c]["attribution"] == a for c, a in want.items()) else None

    got = poll_until("both stalls attributed at the district", attributed, timeout_s=30)
    log("")
    log("== Stalled hops seen at the district (casesyncctl stalled) ==")
    for cid in want:
        s = got[cid]
        log(f"  case {cid}  hop {s['hop']:12} {s['sender']} -> {s['receiver']:5} stage {s['stage']:8} "
            f"late {s['overdue_by_text']:6} attribution {s['attribution']:12} escalated to {s['escalated_to']}")
    log("  s11 is online and in step but never signed for its case: silent.")
    log("  s12 was switched off before its case was sent: unreachable, never blamed as silent.")
    tb.start("s12")
    return {silent: ("district", ["s11"]), off: ("district", ["s12"])}, \
        all(got[c]["attribution"] == a for c, a in want.items())


def print_holdings(tb, want):
    log("\n== What each node holds ==")
    log(f"{'NODE':10} {'ROLE':10} {'CASES':>5} {'EVENTS':>6}  CASE IDS")
    ok = True
    for node, info in tb.nodes.items():
        st = tb.get(node, "/api/status")
        held = tb.case_ids(node)
        should = {c for c, holders in want.items() if node in holders}
        mark = "" if held == should else f"   <-- expected {sorted(should)}"
        ok &= held == should
        log(f"{node:10} {info['role']:10} {len(held):5} {st['store']['events']:6}  "
            f"{' '.join(sorted(held)) or '-'}{mark}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--once", action="store_true", help="run, check, stop; exit 0 only if correct")
    ap.add_argument("--bin", default=None, help="build directory holding the binaries")
    ap.add_argument("--dir", default=os.path.join(harness.ROOT, "demo-run"))
    ap.add_argument("--base-port", type=int, default=int(os.environ.get("DEMO_BASE_PORT", 16000)))
    args = ap.parse_args()
    if args.bin:
        os.environ["CASESYNC_BIN"] = os.path.abspath(args.bin)

    started = time.monotonic()
    log(f"casesync demo: 1 district, {STREETS} streets, {COMMUNITIES} communities each "
        f"({1 + STREETS * (1 + COMMUNITIES)} nodes) under {args.dir}")
    tb = Testbed(args.dir, STREETS, COMMUNITIES, args.base_port, sets=DEMO_SETTINGS)
    try:
        tb.up()
        log(f"all {len(tb.nodes)} nodes serving after {time.monotonic() - started:.1f}s")
        poll_until("every link to come up", lambda: harness.all_links_up(tb), timeout_s=30)
        log(f"all links up after {time.monotonic() - started:.1f}s")
        parent = {n: info["parent"] for n, info in tb.nodes.items()}
        cases = scenario(tb, parent)
        print_timelines(tb, cases)
        stalled, stalls_ok = stalls(tb, parent)
        want = {cid: expected_holders(parent, o, f) for cid, (o, f, *_) in
                list(cases.items()) + list(stalled.items())}
        # Before checking that nobody holds too much, wait until no link has anything left to send.
        poll_until("every link to drain", lambda: harness.quiescent(tb), timeout_s=60)
        trip = round_trip(tb)
        want[trip] = expected_holders(parent, "s03-c01", ["s03", "district"])
        ok = print_holdings(tb, want)
        ok &= print_trace(tb, trip) and stalls_ok
        log("")
        log(f"== District health (casesyncctl health); live page: {tb.api('district')}/ ==")
        health = harness.ctl("--api", tb.api("district"), "--token-file",
                             tb.nodes["district"]["token_file"], "health", check=False)
        log(health.stdout.rstrip() or health.stderr.rstrip())
        log(f"\nresult: {'every node holds exactly what it should' if ok else 'MISMATCH'} "
            f"({time.monotonic() - started:.1f}s)")
        if args.once:
            return 0 if ok else 1
        log("\nLocal APIs (try: casesyncctl --config CONFIG status; the admin token is beside it):")
        for node, info in tb.nodes.items():
            log(f"  {node:10} {info['api']}  {info['config']}")
        log("\nThe district keeps running; press Ctrl-C to stop it.")
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        log("stopping the district...")
        return 0
    finally:
        tb.down()


if __name__ == "__main__":
    sys.exit(main())
