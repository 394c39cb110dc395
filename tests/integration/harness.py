"""Shared helpers for casesync's multi-process tests and the demo: a loopback testbed of real
casesyncd processes driven through casesyncctl, API calls over HTTP, and bounded polling (never a
fixed sleep as synchronisation)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bin_dir():
    """Where casesyncd and casesyncctl were built: $CASESYNC_BIN, else ./build."""
    d = os.environ.get("CASESYNC_BIN", os.path.join(ROOT, "build"))
    for sub in ("", "cli", "daemon"):
        if os.path.exists(os.path.join(d, sub, "casesyncctl")):
            return d
    raise SystemExit(f"casesyncctl not found under {d}; run `make build` first")


def tool(name):
    d = bin_dir()
    for sub in ("cli", "daemon", ""):
        p = os.path.join(d, sub, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"{name} not found under {d}")


def english_env(**extra):
    """The environment with English asked for: casesyncctl speaks Chinese unless the locale names
    English (common/translate.h), and these tests read its English text."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    env.update(LANG="en_US.UTF-8", **extra)
    return env


def ctl(*args, check=True, capture=True):
    """Runs casesyncctl in English; returns CompletedProcess (stdout as text)."""
    env = english_env(CASESYNCD=tool("casesyncd"))
    r = subprocess.run([tool("casesyncctl"), *args], capture_output=capture, text=True, env=env)
    if check and r.returncode != 0:
        raise RuntimeError(f"casesyncctl {' '.join(args)} failed ({r.returncode}):\n"
                           f"{r.stdout}\n{r.stderr}")
    return r


def ctl_json(*args):
    return json.loads(ctl(*args, "--json").stdout)


def poll_until(what, fn, timeout_s=30.0, interval_s=0.05):
    """Calls fn() until it returns a truthy value; fails after timeout_s naming `what`."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (urllib.error.URLError, ConnectionError, RuntimeError) as e:
            last = e
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what} (last: {last!r})")


# Every route but /healthz and /metrics needs a clerk's token (docs/API.md). `testbed init`
# writes each node's admin token beside its config; a Testbed registers them here by API base
# URL, so a request to a node carries that node's admin token unless it says otherwise.
_TOKENS = {}
AUTO = object()


def read_token(path):
    with open(path) as f:
        return f.readline().strip()


# Headless Chromium for the pages' tests: nothing of its own on the network, time to run scripts.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--virtual-time-budget=5000"]


def page_requests(netlog, origin):
    """What a page from `origin` asked for, from a Chromium net log (--log-net-log): the address
    of every request whose initiator is that origin (images, scripts, fetches, frames, wherever
    they go). The browser's own traffic (update and time checks) has no such initiator. Read as
    text: a log cut short by the browser's exit is still searched."""
    with open(netlog, encoding="utf-8", errors="replace") as f:
        text = f.read()
    found = set()
    for event in text.splitlines():  # one event a line
        initiator = re.search(r'"initiator"\s*:\s*"([^"]*)"', event)
        url = re.search(r'"url"\s*:\s*"([^"]*)"', event)
        if initiator and url and initiator.group(1) == origin:
            found.add(url.group(1))
    return found


def token_for(url):
    """The admin token of the testbed node whose API `url` is on, or None."""
    for base, token in _TOKENS.items():
        if url == base or url.startswith(base + "/"):
            return token
    return None


def auth_headers(url, token=AUTO, headers=None):
    """Content-Type JSON, the node's bearer token (token=None: none; a string: that one) and
    Accept-Language: en, so the node's messages are English like casesyncctl's under the tests'
    LANG (the node answers Chinese by default: language_test proves both)."""
    out = {"Content-Type": "application/json", "Accept-Language": "en"}
    token = token_for(url) if token is AUTO else token
    if token:
        out["Authorization"] = "Bearer " + token
    out.update(headers or {})
    return out


def http(method, url, body=None, timeout=60, token=AUTO, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=auth_headers(url, token, headers))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Testbed:
    """A loopback district under `directory`, started with casesyncctl testbed."""

    def __init__(self, directory, streets, communities, base_port, sets=(), init_args=()):
        self.dir = directory
        if os.path.exists(os.path.join(directory, "testbed.json")):
            ctl("testbed", "down", directory, check=False)
        shutil.rmtree(directory, ignore_errors=True)
        args = ["testbed", "init", directory, "--streets", str(streets),
                "--communities", str(communities), "--base-port", str(base_port)]
        for s in sets:
            args += ["--set", s]
        ctl(*args, *init_args)
        self._list()

    def _list(self):
        self.nodes = {n["id"]: n for n in ctl_json("testbed", "list", self.dir)}
        for n in self.nodes.values():
            _TOKENS[n["api"]] = read_token(n["token_file"])

    def up(self):
        ctl("testbed", "up", self.dir)
        self._list()

    def adopt(self, node, api, config):
        """A node started outside `testbed up` (its admin token beside its config)."""
        token_file = os.path.join(os.path.dirname(config), "admin.token")
        self.nodes[node] = {"api": api, "config": config, "token_file": token_file}
        _TOKENS[api] = read_token(token_file)

    def token(self, node):
        """The node's admin token (what `casesyncctl --config` uses)."""
        return _TOKENS[self.api(node)]

    def down(self):
        ctl("testbed", "down", self.dir, check=False)

    def kill(self, node):
        ctl("testbed", "kill", self.dir, node)

    def start(self, node):
        ctl("testbed", "start", self.dir, node)

    def stop(self, node):
        ctl("testbed", "stop", self.dir, node)

    def api(self, node):
        return self.nodes[node]["api"]

    def get(self, node, path):
        status, body = http("GET", self.api(node) + path)
        if status >= 400:
            raise RuntimeError(f"GET {path} at {node}: {status} {body}")
        return body

    def post(self, node, path, body):
        status, out = http("POST", self.api(node) + path, body)
        if status >= 400:
            raise RuntimeError(f"POST {path} at {node}: {status} {out}")
        return out

    def case_ids(self, node):
        return {c["id"] for c in self.get(node, "/api/cases?limit=10000")}

    def log_tail(self, node, lines=30):
        p = os.path.join(self.dir, node, "casesyncd.log")
        if not os.path.exists(p):
            return ""
        with open(p, errors="replace") as f:
            return "".join(f.readlines()[-lines:])


def event_keys(tb, node, origin=None):
    """Every (origin, seq) in the node's changes feed, in feed order (duplicates kept)."""
    keys, after = [], 0
    while True:
        page = tb.get(node, f"/api/events?after={after}&limit=10000")
        for e in page["events"]:
            if origin is None or e["origin"] == origin:
                keys.append((e["origin"], e["seq"]))
        if not page["events"]:
            return keys
        after = page["next"]


def expected_holders(roster_parent, case_origin, forward_targets):
    """The nodes that must hold a case: its audience (origin and forward targets) and every
    ancestor of each (docs/DESIGN.md, Routing)."""
    out = set()
    for n in [case_origin, *forward_targets]:
        while n:
            out.add(n)
            n = roster_parent.get(n)
    return out


def link_of(tb, node, peer):
    """The node's status of its link to `peer`."""
    return next(l for l in tb.get(node, "/api/status")["links"] if l["peer"] == peer)


def quiescent(tb):
    """True when no node has events waiting in an outbox or batches in flight."""
    for node in tb.nodes:
        for link in tb.get(node, "/api/status")["links"]:
            if link["backlog_events"] or link["in_flight_batches"]:
                return False
    return True


def all_links_up(tb):
    """True when every node reports every one of its links up."""
    for node in tb.nodes:
        for link in tb.get(node, "/api/status")["links"]:
            if link["state"] != "up":
                return False
    return True


def log(msg):
    print(msg, flush=True)
    sys.stdout.flush()
