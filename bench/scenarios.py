"""The daemon scenarios of `make bench`: real casesyncd processes on loopback, set up with
`casesyncctl testbed`, driven and timed from outside through the local API. Each scenario owns
one testbed (its own base port), always takes it down, and returns a dict of figures."""

import json
import os
import subprocess
import time

import harness
from harness import Testbed, log

import bench_lib as lib

COMMUNITY = "s01-c01"
STREET = "s01"
DISTRICT = "district"


def _db_path(tb, node):
    return os.path.join(tb.dir, node, "data", "casesync.db")


def stored_sizes(limits_bin, db_path):
    """Average sizes of the events a stopped node holds (casesync_bench_limits --sizes-of)."""
    out = subprocess.run([limits_bin, "--sizes-of", db_path], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def one_hop(work, base_port, total, limits_bin, profile_prefix=None):
    """Street -> district, durable commits: the street holds `total` events before the district
    starts, so what is timed is replication alone. Also gives the bytes on the wire per event.
    With `profile_prefix`, the district runs under perf (see bench_lib.Profiler)."""
    tb = Testbed(os.path.join(work, "one_hop"), 1, 0, base_port)
    try:
        tb.up()
        lib.wait_links_up(tb)
        tb.stop(DISTRICT)
        fill_s = lib.fill(tb, STREET, total)
        log(f"  one hop: {total} events authored at {STREET} in {fill_s:.1f} s")
        lib.refresh(tb)
        before = lib.peer_counters(tb, STREET, DISTRICT)
        street_cpu_before = lib.node_stats(tb, STREET)["cpu_s"]
        baseline = lib.acked_upward(tb, [STREET])
        started = time.monotonic()
        starter = lib.start_in_background(tb, DISTRICT)
        first_s = lib.seconds_until("the street's first batch to the district",
                                    lambda: lib.sending_upward(tb, baseline), started)
        profiler = lib.Profiler(tb, DISTRICT, profile_prefix) if profile_prefix else None
        t = lib.time_until_holds(tb, DISTRICT, total, started=started)
        end_s = t["end_s"]
        report = profiler.stop() if profiler else None
        starter.join()
        lib.refresh(tb)
        after = lib.peer_counters(tb, STREET, DISTRICT)
        district = lib.node_stats(tb, DISTRICT)
        street_cpu = lib.node_stats(tb, STREET)["cpu_s"] - street_cpu_before
    finally:
        tb.down()
    events_out = after["events_out"] - before["events_out"]
    sizes = stored_sizes(limits_bin, _db_path(tb, STREET))
    return {
        "one_hop_events_per_s": total / (end_s - first_s),
        "one_hop_events_per_s_incl_start": total / end_s,
        "one_hop_start_to_first_batch_s": first_s,
        "one_hop_total_s": end_s,
        "one_hop_events": total,
        "one_hop_fill_events_per_s": total / fill_s,
        "one_hop_district_cpu_s": district["cpu_s"],
        # Share of the replication window the district spent on a CPU; the rest it waited (for
        # fsync, for frames, or for a CPU another process held).
        "one_hop_district_cpu_share": district["cpu_s"] / (end_s - first_s),
        # Independent of other load on the machine: compare with verify_per_cpu_s.
        "one_hop_events_per_district_cpu_s": total / district["cpu_s"],
        "one_hop_street_cpu_s": street_cpu,
        "one_hop_district_hwm_mib": district["hwm_mib"],
        "one_hop_district_slowest_status_ms": t["slowest_status_ms"],
        "wire_bytes_per_event": (after["bytes_out"] - before["bytes_out"]) / max(events_out, 1),
        # The same frames counted before compression: what the wire would carry without it.
        "wire_uncompressed_bytes_per_event":
            (after["bytes_out_uncompressed"] - before["bytes_out_uncompressed"])
            / max(events_out, 1),
        "wire_events_out": events_out,
        "encoded_bytes_per_event": sizes["encoded_bytes_per_event"],
        "wire_floor_bytes_per_event": sizes["batch_frame_bytes_per_event"],
        "wire_floor_compressed_bytes_per_event": sizes["batch_frame_compressed_bytes_per_event"],
        "one_hop_profile": report,
    }


def _create_cases(tb, node, cases):
    """`cases` new cases at `node` in one batch; returns their ids."""
    events = [e for e in lib.case_events(node, 0, cases) if e["kind"] == "case_created"]
    given = tb.post(node, "/api/events/batch", {"events": events})["ids"]  # the node gives ids
    return [given[e["case_id"]] for e in events]


def _send_paced(api, cases, rate_per_s, count):
    """Authors `count` notes at `rate_per_s`, round-robin over `cases`, one request each.
    Returns [(send_time, response_time)] in authoring order."""
    times = []
    start = time.monotonic()
    for i in range(count):
        delay = start + i / rate_per_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent = time.monotonic()
        lib.request(api, "POST", f"/api/cases/{cases[i % len(cases)]}/events",
                    {"kind": "note", "body": {"note": lib.NOTE_TEXT}})
        times.append((sent, time.monotonic()))
    return times


def end_to_end(work, base_port, rate_per_s, seconds, cases_count=50):
    """Community -> street -> district at a steady rate: each note is authored with its own
    request at the community; the district's changes feed is long-polled; latency is the time
    from sending the request to receiving the feed response that carries the event."""
    tb = Testbed(os.path.join(work, "e2e"), 1, 1, base_port)
    try:
        tb.up()
        lib.wait_links_up(tb)
        cases = _create_cases(tb, COMMUNITY, cases_count)
        harness.poll_until("the cases at the district",
                           lambda: lib.status(tb, DISTRICT)["store"]["events"] >= cases_count)
        first_seq = lib.status(tb, COMMUNITY)["last_seq"] + 1
        watchers = {n: lib.ChangesWatcher(tb.api(n), lib.status(tb, n)["store"]["events"])
                    for n in (STREET, DISTRICT)}
        for w in watchers.values():
            w.start()
        count = int(rate_per_s * seconds)
        sends = _send_paced(tb.api(COMMUNITY), cases, rate_per_s, count)
        want = [(COMMUNITY, first_seq + i) for i in range(count)]
        for node, w in watchers.items():
            harness.poll_until(f"every note at {node}",
                               lambda w=w: w.check() and all(k in w.arrivals for k in want),
                               timeout_s=30)
            w.stop()
    finally:
        tb.down()
    span = sends[-1][0] - sends[0][0]
    out = {"e2e_events": count, "e2e_rate_per_s": (count - 1) / span if span > 0 else 0}
    # Where the time goes: the write at the community, the first hop, the whole path.
    stages = {"e2e_local_write": [done - sent for sent, done in sends],
              "e2e_street": [watchers[STREET].arrivals[k] - s for k, (s, _) in zip(want, sends)],
              "e2e": [watchers[DISTRICT].arrivals[k] - s for k, (s, _) in zip(want, sends)]}
    for name, seconds_list in stages.items():
        ms = [x * 1000 for x in seconds_list]
        out[f"{name}_p50_ms"] = lib.percentile(ms, 50)
        out[f"{name}_p99_ms"] = lib.percentile(ms, 99)
    out["e2e_max_ms"] = max(stages["e2e"]) * 1000
    return out


def catch_up(work, base_port, total):
    """A community with `total` pending events reconnects to its street: seconds until its
    backlog is acknowledged, and the peak RSS of both processes over the reconnect."""
    tb = Testbed(os.path.join(work, "catch_up"), 1, 1, base_port)
    try:
        tb.up()
        lib.wait_links_up(tb)
        tb.stop(STREET)
        fill_s = lib.fill(tb, COMMUNITY, total)
        log(f"  catch-up: {total} events pending at {COMMUNITY} (authored in {fill_s:.1f} s)")
        # A fresh community process, so its peak RSS is that of the reconnect, not of authoring.
        tb.stop(COMMUNITY)
        tb.start(COMMUNITY)
        lib.refresh(tb)
        district_cpu_before = lib.node_stats(tb, DISTRICT)["cpu_s"]
        baseline = lib.acked_upward(tb, [COMMUNITY])
        started = time.monotonic()
        starter = lib.start_in_background(tb, STREET)
        first_s = lib.seconds_until("the community's first batch to the street",
                                    lambda: lib.sending_upward(tb, baseline), started)

        def drained(st):
            link = st["links"][0]
            return link["backlog_events"] == 0 and link["in_flight_batches"] == 0

        end_s = lib.time_until_holds(tb, COMMUNITY, total, done=drained, started=started)["end_s"]
        starter.join()
        lib.refresh(tb)
        community, street = lib.node_stats(tb, COMMUNITY), lib.node_stats(tb, STREET)
        district_cpu = lib.node_stats(tb, DISTRICT)["cpu_s"] - district_cpu_before
        district_s = lib.time_until_holds(tb, DISTRICT, total, started=started)["end_s"]
    finally:
        tb.down()
    return {
        # From the community's first batch after reconnecting to its last acknowledgement.
        "catchup_100k_s": end_s - first_s,
        "catchup_street_start_to_first_batch_s": first_s,
        "catchup_events": total,
        "catchup_events_per_s": total / (end_s - first_s),
        "catchup_district_holds_all_s": district_s - first_s,
        "catchup_community_peak_rss_mib": community["hwm_mib"],
        "catchup_street_peak_rss_mib": street["hwm_mib"],
        # All three processes share the machine's cores while the backlog drains.
        "catchup_cpu_s": {"community": community["cpu_s"], "street": street["cpu_s"],
                          "district": district_cpu},
    }


def _idle_rss(tb, settle_s):
    """RSS of every node after `settle_s` with nothing to do: {communities: [...], district}."""
    time.sleep(settle_s)
    lib.refresh(tb)
    communities = [lib.node_stats(tb, n)["rss_mib"] for n, v in tb.nodes.items()
                   if v["role"] == "community"]
    return communities, lib.node_stats(tb, DISTRICT)


def district_40(work, base_port, per_street, settle_s=3):
    """The demo's district (1 + 13 streets + 26 communities): idle RSS of a community and of
    the district with 40 nodes attached; then fan-in: the 13 streets hold `per_street` events
    each before the district starts, and all send at once."""
    tb = Testbed(os.path.join(work, "district_40"), 13, 2, base_port)
    try:
        tb.up()
        lib.wait_links_up(tb, timeout_s=120)
        communities, district = _idle_rss(tb, settle_s)
        base = lib.status(tb, DISTRICT)["store"]["events"]
        tb.stop(DISTRICT)
        streets = sorted(n for n, v in tb.nodes.items() if v["role"] == "street")
        for s in streets:
            lib.fill(tb, s, per_street)
        total = base + per_street * len(streets)
        log(f"  fan-in: {per_street} events pending at each of {len(streets)} streets")
        baseline = lib.acked_upward(tb, streets)
        started = time.monotonic()
        starter = lib.start_in_background(tb, DISTRICT)
        first_s = lib.seconds_until("a street's first batch to the district",
                                    lambda: lib.sending_upward(tb, baseline), started)
        t = lib.time_until_holds(tb, DISTRICT, total, started=started)
        end_s = t["end_s"]
        starter.join()
        lib.refresh(tb)
        after = lib.node_stats(tb, DISTRICT)
    finally:
        tb.down()
    communities.sort()
    return {
        "idle_community_rss_mib": communities[-1],
        "idle_community_rss_median_mib": communities[len(communities) // 2],
        "district_rss_mib": district["rss_mib"],
        "district_nodes": len(tb.nodes),
        "fanin_events_per_s": (total - base) / (end_s - first_s),
        "fanin_events_per_s_incl_start": (total - base) / end_s,
        "fanin_events": total - base,
        "fanin_streets": len(streets),
        "fanin_district_cpu_s": after["cpu_s"],
        "fanin_district_slowest_status_ms": t["slowest_status_ms"],
        "fanin_events_per_district_cpu_s": (total - base) / after["cpu_s"],
        "fanin_district_peak_rss_mib": after["hwm_mib"],
    }
