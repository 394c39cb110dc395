"""Building blocks of the daemon scenarios: authoring valid events in bulk, reading a process's
memory and CPU from /proc, timing how long a node takes to hold a number of events, and long-poll
watching a node's changes feed. Every wait is bounded and names what it waited for."""

import http.client
import json
import os
import threading
import time
import urllib.error
from urllib.parse import urlparse

import harness

EVENTS_PER_CASE = 20         # case_created + 19 notes: a case as long as a busy real one
BATCH_EVENTS_MAX = 10000     # POST /api/events/batch takes at most this many
NOTE_TEXT_BYTES = 200        # about 65 Chinese characters in UTF-8
MATTER = "QY-001"            # in the sample matters catalogue every testbed node loads
POLL_FIRST_S = 0.02          # status polling until the first event arrives (start-up precision)
POLL_S = 0.1                 # afterwards: each /api/status counts the events (a few ms)
FILL_TIMEOUT_S = 300         # one POST of 10,000 events signs and commits them all
MIB = 1024 * 1024

NOTE_TEXT = ("Materials checked at the window; applicant asked to bring the original lease. "
             * 4)[:NOTE_TEXT_BYTES]


def case_events(node, first_case, cases):
    """The events of `cases` whole cases authored at `node`: case_created, then notes."""
    for c in range(first_case, first_case + cases):
        cid = f"{node}-bench-{c:06d}"
        yield {"case_id": cid, "kind": "case_created",
               "body": {"matter": MATTER, "applicant": f"Applicant {c:06d}"}}
        for _ in range(EVENTS_PER_CASE - 1):
            yield {"case_id": cid, "kind": "note", "body": {"note": NOTE_TEXT}}


def fill(tb, node, total, first_case=0):
    """Authors `total` events at `node` (a multiple of EVENTS_PER_CASE) in batches of
    BATCH_EVENTS_MAX, each one durable transaction. Returns the seconds it took."""
    assert total % EVENTS_PER_CASE == 0, "fill whole cases"
    assert BATCH_EVENTS_MAX % EVENTS_PER_CASE == 0, "a case must not straddle two batches"
    cases_per_batch = BATCH_EVENTS_MAX // EVENTS_PER_CASE
    started = time.monotonic()
    for first in range(first_case, first_case + total // EVENTS_PER_CASE, cases_per_batch):
        cases = min(cases_per_batch, first_case + total // EVENTS_PER_CASE - first)
        events = list(case_events(node, first, cases))
        status, out = harness.http("POST", tb.api(node) + "/api/events/batch",
                                   {"events": events}, timeout=FILL_TIMEOUT_S)
        if status != 201 or out.get("count") != len(events):
            raise RuntimeError(f"authoring {len(events)} events at {node}: {status} {out}")
    return time.monotonic() - started


def refresh(tb):
    """Re-reads the testbed list (pids change when a node is restarted)."""
    tb.nodes = {n["id"]: n for n in harness.ctl_json("testbed", "list", tb.dir)}


def proc_stats(pid):
    """{rss_mib, hwm_mib, cpu_s} of a live process: VmRSS, VmHWM (peak RSS since it started)
    and user+system CPU time."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    with open(f"/proc/{pid}/stat") as f:
        after_comm = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    utime, stime = int(after_comm[11]), int(after_comm[12])  # fields 14 and 15 of stat(5)
    return {"rss_mib": int(fields["VmRSS"].split()[0]) * 1024 / MIB,
            "hwm_mib": int(fields["VmHWM"].split()[0]) * 1024 / MIB,
            "cpu_s": (utime + stime) / ticks}


def node_stats(tb, node):
    return proc_stats(tb.nodes[node]["pid"])


def status(tb, node):
    return tb.get(node, "/api/status")


def try_status(tb, node):
    """The node's status, or None while it is not answering yet."""
    try:
        return status(tb, node)
    except (urllib.error.URLError, ConnectionError, RuntimeError, OSError):
        return None


def peer_counters(tb, node, peer):
    return status(tb, node)["counters"]["peers"].get(peer, {"bytes_out": 0, "events_out": 0})


def wait_links_up(tb, timeout_s=60):
    harness.poll_until("every link up", lambda: harness.all_links_up(tb), timeout_s=timeout_s,
                       interval_s=0.2)


def start_in_background(tb, node):
    """Starts `node` with `testbed start` on a thread (it blocks until /healthz answers), so the
    caller can time from the moment the start was issued."""
    t = threading.Thread(target=tb.start, args=(node,), daemon=True)
    t.start()
    return t


def time_until_holds(tb, node, total, done=None, timeout_s=600):
    """Polls `node` until it holds `total` events (and `done(status)` is true, if given).
    Returns {first_s, first_events, end_s}: seconds from the call to the first poll that saw an
    event beyond the starting count, how many it saw, and seconds to the end."""
    started = time.monotonic()
    deadline = started + timeout_s
    base = None
    first = None
    while time.monotonic() < deadline:
        st = try_status(tb, node)
        now = time.monotonic() - started
        if st is not None:
            held = st["store"]["events"]
            base = held if base is None else base
            if first is None and held > base:
                first = (now, held - base)
            if held >= total and (done is None or done(st)):
                return {"first_s": first[0] if first else now,
                        "first_events": first[1] if first else total - base, "end_s": now}
        time.sleep(POLL_FIRST_S if first is None else POLL_S)
    raise AssertionError(f"{node} did not hold {total} events within {timeout_s}s")


class ChangesWatcher:
    """Long-polls a node's /api/changes on its own thread and records, for every change, the
    monotonic time the response carrying it was received: {(origin, seq): t}."""

    def __init__(self, api_url, since):
        u = urlparse(api_url)
        self._conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        self._since = since
        self._stop = threading.Event()
        self.arrivals = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self._conn.close()

    def _run(self):
        while not self._stop.is_set():
            self._conn.request("GET", f"/api/changes?since={self._since}&wait=1&limit=10000")
            body = json.loads(self._conn.getresponse().read())
            now = time.monotonic()
            for c in body["changes"]:
                self.arrivals.setdefault((c["origin"], c["seq"]), now)
            self._since = body["next"]


class KeepAliveClient:
    """One persistent HTTP connection to a node's API (no connect per request)."""

    def __init__(self, api_url):
        u = urlparse(api_url)
        self._conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)

    def post(self, path, body):
        self._conn.request("POST", path, json.dumps(body),
                           {"Content-Type": "application/json"})
        r = self._conn.getresponse()
        out = r.read()
        if r.status >= 400:
            raise RuntimeError(f"POST {path}: {r.status} {out[:200]!r}")
        return json.loads(out)

    def close(self):
        self._conn.close()


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]
