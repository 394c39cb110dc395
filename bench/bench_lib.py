"""Building blocks of the daemon scenarios: authoring valid events in bulk, reading a process's
memory and CPU from /proc, timing how long a node takes to hold a number of events, and long-poll
watching a node's changes feed. Every wait is bounded and names what it waited for."""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
from urllib.parse import urlparse

import harness

EVENTS_PER_CASE = 20         # case_created + 19 notes: a case as long as a busy real one
BATCH_EVENTS_MAX = 10000     # POST /api/events/batch takes at most this many
NOTE_TEXT_BYTES = 200        # about 65 Chinese characters in UTF-8
MATTER = "QY-001"            # in the sample matters catalogue every testbed node loads
POLL_FIRST_S = 0.02          # polling for the start of replication (start-up precision)
POLL_S = 0.1                 # afterwards: each /api/status counts the events (a few ms)
FILL_TIMEOUT_S = 300         # one POST of 10,000 events signs and commits them all
MIB = 1024 * 1024

NOTE_TEXT = ("Materials checked at the window; applicant asked to bring the original lease. "
             * 4)[:NOTE_TEXT_BYTES]


def case_events(node, first_case, cases):
    """The events of `cases` whole cases authored at `node`: case_created, then notes. The
    case_id is a placeholder within one batch: the node gives each new case its id."""
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
    return status(tb, node)["counters"]["peers"].get(
        peer, {"bytes_out": 0, "bytes_out_uncompressed": 0, "events_out": 0})


def wait_links_up(tb, timeout_s=60):
    harness.poll_until("every link up", lambda: harness.all_links_up(tb), timeout_s=timeout_s,
                       interval_s=0.2)


def start_in_background(tb, node):
    """Starts `node` with `testbed start` on a thread (it blocks until /healthz answers), so the
    caller can time from the moment the start was issued."""
    t = threading.Thread(target=tb.start, args=(node,), daemon=True)
    t.start()
    return t


def seconds_until(what, pred, started, timeout_s=60):
    """Polls `pred()` every POLL_FIRST_S until it is true; returns seconds since `started`."""
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return time.monotonic() - started
        time.sleep(POLL_FIRST_S)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def _parent_link(st):
    return next(x for x in st["links"] if x["direction"] == "parent")


def acked_upward(tb, nodes):
    """{node: how far its parent has acknowledged its feed}, the baseline for sending_upward."""
    return {n: _parent_link(status(tb, n))["sent_acked_pos"] for n in nodes}


def sending_upward(tb, baseline):
    """True once any node of `baseline` ({node: acked position}) has a batch in flight to its
    parent or has been acknowledged past its baseline. Replication is timed from here, on the
    senders' side: a receiver busy applying batches answers its own API only between loop turns
    (up to kMessagesPerWakeMax frames per socket), so its first answer can come long after its
    first event."""
    for n, acked in baseline.items():
        st = try_status(tb, n)
        link = st and _parent_link(st)
        if link and (link["in_flight_batches"] or link["sent_acked_pos"] > acked):
            return True
    return False


def time_until_holds(tb, node, total, done=None, started=None, timeout_s=600):
    """Polls `node` every POLL_S until it holds `total` events and `done(status)`, if given, is
    true. Returns {end_s: seconds since `started` (default: now), slowest_status_ms: the longest
    a status request waited — the API is served between the loop's turns}."""
    started = time.monotonic() if started is None else started
    deadline = started + timeout_s
    slowest = 0.0
    while time.monotonic() < deadline:
        asked = time.monotonic()
        st = try_status(tb, node)
        slowest = max(slowest, time.monotonic() - asked)
        if st is not None and st["store"]["events"] >= total and (done is None or done(st)):
            return {"end_s": time.monotonic() - started, "slowest_status_ms": slowest * 1000}
        time.sleep(POLL_S)
    raise AssertionError(f"{node} did not hold {total} events within {timeout_s}s")


def request(api_url, method, path, body=None, timeout_s=10):
    """One API request on a fresh connection with TCP_NODELAY, as casesyncctl makes them.
    Not keep-alive: the API (cpp-httplib) writes a response in several sends without
    TCP_NODELAY, so on a reused connection, once the kernel leaves quick-ACK mode, Nagle holds
    the tail of a response until the client's delayed ACK — 40 ms that would be timed as the
    node's. A new connection starts in quick-ACK mode. Returns the decoded JSON body."""
    u = urlparse(api_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout_s)
    try:
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, data, harness.auth_headers(api_url))
        r = conn.getresponse()
        out = r.read()
        if r.status >= 400:
            raise RuntimeError(f"{method} {path}: {r.status} {out[:200]!r}")
        return json.loads(out)
    finally:
        conn.close()


class ChangesWatcher:
    """Long-polls a node's /api/changes on its own thread and records, for every change, the
    monotonic time the response carrying it was received: {(origin, seq): t}."""

    def __init__(self, api_url, since):
        self._api = api_url
        self._since = since
        self._stop = threading.Event()
        self.arrivals = {}
        self.error = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def check(self):
        """True while the watcher runs; raises what stopped it otherwise."""
        if self.error is not None:
            raise RuntimeError(f"watching the changes feed failed: {self.error!r}")
        return True

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.check()

    def _run(self):
        try:
            self._watch()
        except Exception as e:  # noqa: BLE001 - reported to the main thread by check()
            self.error = e

    def _watch(self):
        while not self._stop.is_set():
            body = request(self._api, "GET", f"/api/changes?since={self._since}&wait=1&limit=10000")
            now = time.monotonic()
            for c in body["changes"]:
                self.arrivals.setdefault((c["origin"], c["seq"]), now)
            self._since = body["next"]


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


class Profiler:
    """`perf record` (CPU-clock samples with DWARF call graphs) attached to one node while a
    scenario runs, then a text report of where its CPU time went. Sampling costs the node a few
    per cent, so a profiled run's figures are marked as such."""

    SAMPLES_PER_S = 999
    REPORT_LINES = 60

    def __init__(self, tb, node, out_prefix):
        while try_status(tb, node) is None:  # attach once the node runs (its pid file exists)
            time.sleep(POLL_FIRST_S)
        refresh(tb)
        self.data = out_prefix + ".perf.data"
        self.report = out_prefix + ".perf.txt"
        self._proc = subprocess.Popen(
            ["perf", "record", "-e", "cpu-clock", "-F", str(self.SAMPLES_PER_S),
             "--call-graph", "dwarf,16384", "-p", str(tb.nodes[node]["pid"]), "-o", self.data],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        """Stops sampling and writes the report: time by library, then the inclusive time of
        every casesync function; returns the report's path."""
        self._proc.send_signal(signal.SIGINT)
        self._proc.wait(timeout=60)
        by_dso = self._perf_report("--no-children", "--sort", "dso")
        by_fn = [line for line in self._perf_report("--children", "--sort", "symbol")
                 if line.partition("] ")[2].startswith(("casesync::", "sqlite3_step"))]
        with open(self.report, "w") as f:
            f.write("# CPU samples by library (self time)\n")
            f.writelines(line + "\n" for line in by_dso)
            f.write("\n# casesync functions, time including callees\n")
            f.writelines(line[:160].rstrip() + "\n" for line in by_fn[:self.REPORT_LINES])
        return self.report

    def _perf_report(self, *sort):
        out = subprocess.run(["perf", "report", "-i", self.data, "--stdio", "-g", "none", *sort],
                             capture_output=True, text=True)
        return [line.rstrip() for line in out.stdout.splitlines()
                if line.strip() and not line.startswith("#")]
