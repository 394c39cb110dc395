#!/usr/bin/env python3
"""Connects a department system to a casesync node, so nobody types a case twice (二次录入).

An example to copy, in Python's standard library only. The department system is played by a
SQLite file with three tables:

  dept_applications  applications the department received (its own receipt number, matter,
                     applicant, ...): each becomes a casesync case, created idempotently with
                     source=--source and external_ref=receipt_no, so a crash or a retry after a
                     timeout never makes a second case (the node answers 200 with the case it has)
  dept_decisions     the department's decisions (approved/denied): posted back to the case
  casesync_cases     the mirror: every case the node holds, kept current from its changes feed
                     (GET /api/events?after=N&wait=30s), with the feed position in adapter_state

Run it next to the node: `department_adapter.py --api http://127.0.0.1:8101 --db dept.db
--source gov-portal --token-file /etc/dept/casesync.token`; --once does one round and exits
(cron, tests).

Tokens (sent as Authorization: Bearer; every route of the node wants one). The node's admin
makes the system a clerk of its own, `casesyncctl clerk add gov-portal --name "政务服务网"
--role system`: its creates, and everything it signs, name that clerk; with it the adapter
creates cases and follows the feed (--token-file, --token or CASESYNC_TOKEN). A decision is a
person's act, which role `system` may not sign: give the deciding officer's token with
--decision-token-file (a window clerk completes a case received here, a reviewer answers a hop
addressed here). Without one, a decision is refused by the node and kept with its error in
dept_decisions.
See README.md, "Connecting a department system", and docs/API.md.
"""

import argparse
import json
import os
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SCHEMA = """
CREATE TABLE IF NOT EXISTS dept_applications (
  receipt_no TEXT PRIMARY KEY,      -- the department's own number: casesync's external_ref
  matter     TEXT NOT NULL,         -- the matter code of the catalogue (casesyncctl matters)
  applicant  TEXT NOT NULL,
  id_number  TEXT,
  materials  TEXT,                  -- one name per line
  case_id    TEXT                   -- filled in once the node holds the case
);
CREATE TABLE IF NOT EXISTS dept_decisions (
  receipt_no TEXT PRIMARY KEY REFERENCES dept_applications (receipt_no),
  outcome    TEXT NOT NULL CHECK (outcome IN ('approved', 'denied')),
  note       TEXT,
  posted_at  TEXT,                  -- when the node took it
  error      TEXT                   -- why the node refused it (not retried until cleared)
);
CREATE TABLE IF NOT EXISTS casesync_cases (
  case_id      TEXT PRIMARY KEY,
  source       TEXT,
  external_ref TEXT,
  matter       TEXT,
  applicant    TEXT,
  status       TEXT,
  holder       TEXT,
  outcome      TEXT,
  also_created_at TEXT,            -- stations that created it too: duplicates folded into it
  state_hash   TEXT,
  updated_at   TEXT
);
CREATE TABLE IF NOT EXISTS adapter_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

FEED_PAGE = 500          # events per feed request
WAIT = "30s"             # how long a feed request waits for something new
RETRY_AFTER_S = 5        # after the node was unreachable


class NodeError(Exception):
    def __init__(self, status, body):
        if isinstance(body, dict):
            text = f"{status} {body.get('error', '')}: {body.get('message', body)}"
        else:
            text = f"{status}: {body}"
        super().__init__(text)
        self.status = status
        self.body = body

    def about_the_request(self):
        """A refusal of this request (kept with its row), not of the node or the token: a 5xx,
        401 (the token) and 429 (the node is busy checking tokens) are tried again later."""
        return self.status < 500 and self.status not in (401, 429)


class Node:
    """The node's local API (docs/API.md)."""

    def __init__(self, api, token, timeout_s=60):
        self.api = api.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = raw.decode(errors="replace")
            raise NodeError(e.code, body) from None


class Adapter:
    def __init__(self, node, db, source, log=print, decider=None):
        self.node = node
        self.decider = decider or node  # who signs decisions (see the module's note on tokens)
        self.db = db
        self.source = source
        self.log = log
        db.executescript(SCHEMA)

    # ---- department -> casesync

    def create_cases(self):
        """Every application without a case: created with its receipt number. Idempotent."""
        rows = self.db.execute(
            "SELECT receipt_no, matter, applicant, id_number, materials FROM dept_applications "
            "WHERE case_id IS NULL ORDER BY receipt_no").fetchall()
        for receipt_no, matter, applicant, id_number, materials in rows:
            body = {"matter": matter, "applicant": applicant, "source": self.source,
                    "external_ref": receipt_no}
            if id_number:
                body["id_number"] = id_number
            if materials:
                body["materials"] = [m for m in materials.splitlines() if m.strip()]
            try:
                status, case = self.node.call("POST", "/api/cases", body)
            except NodeError as e:
                if not e.about_the_request():
                    raise
                self.log(f"application {receipt_no}: the node refused it ({e}); fix the row")
                continue
            # 201: created now; 200: the node already held it (a retry, or another station).
            self.db.execute("UPDATE dept_applications SET case_id = ? WHERE receipt_no = ?",
                            (case["id"], receipt_no))
            self.db.commit()
            self.log(f"application {receipt_no} -> case {case['id']} "
                     f"({'created' if status == 201 else 'already held'})")

    def post_decisions(self):
        """Each decision not yet posted: a reply on the hop addressed to this node, else the
        completion (办结) of a case this node received."""
        rows = self.db.execute(
            "SELECT d.receipt_no, d.outcome, d.note, a.case_id FROM dept_decisions d "
            "JOIN dept_applications a USING (receipt_no) "
            "WHERE d.posted_at IS NULL AND d.error IS NULL AND a.case_id IS NOT NULL").fetchall()
        for receipt_no, outcome, note, case_id in rows:
            try:
                self.post_decision(case_id, outcome, note)
                self.db.execute("UPDATE dept_decisions SET posted_at = ? WHERE receipt_no = ?",
                                (time.strftime("%Y-%m-%dT%H:%M:%S"), receipt_no))
                self.log(f"decision {outcome} on case {case_id} posted")
            except NodeError as e:
                if not e.about_the_request():
                    raise
                self.db.execute("UPDATE dept_decisions SET error = ? WHERE receipt_no = ?",
                                (str(e), receipt_no))
                self.log(f"decision on case {case_id} refused: {e}")
            self.db.commit()

    def post_decision(self, case_id, outcome, note):
        _, case = self.node.call("GET", "/api/cases/" + urllib.parse.quote(case_id, safe=":"))
        me = self.node.call("GET", "/api/status")[1]["node"]
        path = "/api/cases/" + urllib.parse.quote(case_id, safe=":")
        extra = {"note": note} if note else {}
        hop = next((h for h in reversed(case["hops"]) if h["to"] == me and not h["superseded"]
                    and h["stage"] in ("forwarded", "delivered", "accepted")), None)
        if hop is None:
            self.decider.call("POST", path + "/complete", {"outcome": outcome, **extra})
            return
        if hop["stage"] != "accepted":
            self.decider.call("POST", path + "/accept", {"hop": hop["hop"]})
        self.decider.call("POST", path + "/reply", {"hop": hop["hop"], "outcome": outcome, **extra})

    # ---- casesync -> department

    def position(self):
        row = self.db.execute("SELECT value FROM adapter_state WHERE key = 'after'").fetchone()
        return int(row[0]) if row else 0

    def follow_feed(self, wait):
        """One feed request: the cases its events touch are mirrored, then the position moves
        (so a crash in between re-reads them: at least once, and a mirror row is idempotent)."""
        after = self.position()
        query = f"/api/events?after={after}&limit={FEED_PAGE}" + (f"&wait={wait}" if wait else "")
        _, page = self.node.call("GET", query)
        touched = []
        for e in page["events"]:
            if e["case_id"] not in touched:
                touched.append(e["case_id"])
        for case_id in touched:
            self.mirror(case_id)
        self.db.execute("INSERT OR REPLACE INTO adapter_state VALUES ('after', ?)",
                        (str(page["next"]),))
        self.db.commit()
        return len(page["events"])

    def mirror(self, case_id):
        _, c = self.node.call("GET", "/api/cases/" + urllib.parse.quote(case_id, safe=":"))
        dup = ",".join(d["node"] for d in c.get("duplicates", [])) or None
        self.db.execute(
            "INSERT OR REPLACE INTO casesync_cases VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (c["id"], c.get("source"), c.get("external_ref"), c["matter"], c["applicant"],
             c["status"], c["holder"], c["outcome"], dup, c["state_hash"],
             time.strftime("%Y-%m-%dT%H:%M:%S")))

    def round(self, wait):
        self.create_cases()
        self.post_decisions()
        while self.follow_feed(wait if wait else None) == FEED_PAGE:
            wait = None  # a full page: more is waiting, read it at once


def read_token(path):
    with open(path, encoding="utf-8") as f:
        return f.readline().strip()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--api", required=True, help="the node's API, e.g. http://127.0.0.1:8101")
    p.add_argument("--db", required=True, help="the department system's SQLite file")
    p.add_argument("--source", required=True,
                   help="the department system's short name (a-z 0-9 - _), e.g. gov-portal")
    p.add_argument("--token", default=os.environ.get("CASESYNC_TOKEN", ""),
                   help="the system's API token, a clerk of role system (default: "
                        "$CASESYNC_TOKEN); prefer --token-file, which other users cannot see")
    p.add_argument("--token-file", help="a file whose first line is the system's token")
    p.add_argument("--decision-token-file",
                   help="a file with the token of the officer who signs decisions (window or "
                        "reviewer); default: the system's token, which the node refuses for them")
    p.add_argument("--once", action="store_true", help="one round, then exit")
    args = p.parse_args(argv)
    token = read_token(args.token_file) if args.token_file else args.token
    if not token:
        p.error("the node wants a token: --token-file FILE, --token TOKEN or CASESYNC_TOKEN")
    decider = None
    if args.decision_token_file:
        decider = Node(args.api, read_token(args.decision_token_file))
    db = sqlite3.connect(args.db)
    adapter = Adapter(Node(args.api, token), db, args.source, decider=decider)
    if args.once:
        adapter.round(wait=None)
        return 0
    while True:
        try:
            adapter.round(wait=WAIT)
        except (urllib.error.URLError, ConnectionError, NodeError) as e:
            print(f"the node is unreachable or failing ({e}); trying again in {RETRY_AFTER_S}s",
                  file=sys.stderr)
            time.sleep(RETRY_AFTER_S)


if __name__ == "__main__":
    sys.exit(main())
