#!/usr/bin/env python3
"""Proves issue 19's idempotent create with real daemons: 20 concurrent creates of one
department-system reference at one node give one case (one 201, nineteen 200s, one event); once
replicated, a create at the district finds it too; the same reference created at two communities
while their streets are down converges after healing to one case, identical at every node, the
other create marked duplicate_of the kept one and listed in `conflicts`; and the example adapter
(examples/department_adapter.py) creates cases from its table idempotently, mirrors the node's
cases into it and posts its decisions back. The department system is a clerk of role `system` at
each node (issue 14): its creates name it as the actor, and a decision it may not sign is refused
until the deciding officer's token signs it."""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Testbed, ctl, http, poll_until, quiescent  # noqa: E402

# Sync ports 30100.., API ports 31100..: clear of every other test's ranges.
BASE_PORT = int(os.environ.get("INGEST_BASE_PORT", 30100))
SOURCE = "gov-portal"
ADAPTER = os.path.join(ROOT, "examples", "department_adapter.py")


# The department system's clerk (role system) at each node it talks to: API URL -> token.
SYSTEM_TOKENS = {}


def post(api, path, body):
    """(status, JSON) of a POST as the department system's clerk at that node."""
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + SYSTEM_TOKENS[api]}
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method="POST",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def application(ref, applicant="Wang Fang"):
    return {"matter": "SP-014", "applicant": applicant, "source": SOURCE, "external_ref": ref}


class Ingest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-ingest-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=2, communities=1,
                         base_port=BASE_PORT, sets=["sync.resend_timeout_ms=500"])
        cls.tb.up()
        for node in ("district", "s01-c01", "s02-c01"):
            SYSTEM_TOKENS[cls.tb.api(node)] = cls.add_clerk(node, SOURCE, "system")
        # The example adapter's system (dept-x) and the officer who signs its decisions.
        cls.token_files = {}
        for clerk, role in (("dept-x", "system"), ("w01", "window")):
            path = os.path.join(cls.tmp, clerk + ".token")
            with open(path, "w", encoding="utf-8") as f:
                f.write(cls.add_clerk("s01-c01", clerk, role) + "\n")
            cls.token_files[clerk] = path

    @classmethod
    def add_clerk(cls, node, clerk, role):
        out = ctl("--config", cls.tb.nodes[node]["config"], "clerk", "add", clerk, "--name",
                  "Clerk " + clerk, "--role", role, "--json").stdout
        return json.loads(out)["token"]

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def by_ref(self, node, ref):
        return self.tb.get(node, f"/api/cases?external_ref={ref}&source={SOURCE}")

    def test_concurrent_creates_at_one_node_give_one_case(self):
        ref = "3301062024000123"
        api = self.tb.api("s01-c01")
        # The system has used its token before (the node verifies an unknown token one at a
        # time and answers 429 to the others meanwhile: docs/SECURITY.md, "Wrong tokens").
        self.assertEqual(http("GET", api + "/api/matters", token=SYSTEM_TOKENS[api])[0], 200)
        start = threading.Barrier(20)
        answers = [None] * 20

        def create(i):
            start.wait()
            answers[i] = post(api, "/api/cases", application(ref))

        threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(s for s, _ in answers)
        self.assertEqual(statuses, [200] * 19 + [201], answers[0])
        ids = {c["id"] for _, c in answers}
        self.assertEqual(ids, {f"{SOURCE}:{ref}"})
        listed = self.by_ref("s01-c01", ref)
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["event_count"], 1)
        self.assertEqual(listed[0]["external_ref"], ref)
        # The create names the department system's own clerk, inside the signed event.
        created = self.tb.get("s01-c01", f"/api/cases/{SOURCE}:{ref}")["events"][0]
        self.assertEqual(created["actor"], {"id": SOURCE, "name": "Clerk " + SOURCE,
                                            "role": "system"})
        # The CLI too: the same case, exit 0.
        out = ctl("--config", self.tb.nodes["s01-c01"]["config"], "case", "create", "--matter",
                  "SP-014", "--applicant", "Wang Fang", "--source", SOURCE, "--external-ref", ref)
        self.assertEqual(out.stdout.strip(), f"{SOURCE}:{ref}")
        found = json.loads(ctl("--config", self.tb.nodes["s01-c01"]["config"], "cases",
                               "--external-ref", ref, "--json").stdout)
        self.assertEqual([c["id"] for c in found], [f"{SOURCE}:{ref}"])
        # Once replicated, anywhere: the district holds it and finds it.
        poll_until("the case at the district", lambda: self.by_ref("district", ref), 30)
        status, case = post(self.tb.api("district"), "/api/cases", application(ref))
        self.assertEqual((status, case["id"], case["event_count"]), (200, f"{SOURCE}:{ref}", 1))
        self.assertEqual(case["receiving_node"], "s01-c01")

    def test_same_reference_at_two_communities_in_a_partition_converges(self):
        ref = "PARTITION-7"
        case_id = f"{SOURCE}:{ref}"
        for street in ("s01", "s02"):
            self.tb.stop(street)
        try:
            made = [post(self.tb.api(c), "/api/cases", application(ref, "Li " + c))
                    for c in ("s01-c01", "s02-c01")]
        finally:
            for street in ("s01", "s02"):
                self.tb.start(street)
        self.assertEqual([s for s, _ in made], [201, 201], made)
        self.assertEqual({c["id"] for _, c in made}, {case_id})
        nodes = ["district", "s01", "s01-c01", "s02", "s02-c01"]

        def converged():
            views = [self.tb.get(n, f"/api/cases/{case_id}") for n in nodes]
            done = all(v["event_count"] == 2 for v in views)
            return views if done and len({v["state_hash"] for v in views}) == 1 else None

        views = poll_until("one case with both creates, identical everywhere", converged, 60)
        kept = next(e for e in views[0]["events"] if e["kind"] == "case_created"
                    and e["origin"] == views[0]["receiving_node"])
        kept_name = f"{kept['origin']}:{kept['seq']}"
        for node, v in zip(nodes, views):
            with self.subTest(node=node):
                self.assertEqual(len(v["duplicates"]), 1)
                self.assertEqual(v["duplicates"][0]["duplicate_of"], kept_name)
                self.assertNotEqual(v["duplicates"][0]["node"], v["receiving_node"])
                rules = [(c["rule"], c["winner"]) for c in v["conflicts"]]
                self.assertIn(("duplicate_create", kept_name), rules)
                self.assertEqual(len(self.by_ref(node, ref)), 1)
        conflicts = json.loads(ctl("--config", self.tb.nodes["s02-c01"]["config"], "conflicts",
                                   "--json").stdout)
        self.assertIn(("duplicate_create", case_id),
                      [(c["rule"], c["case"]) for c in conflicts])
        # Created again anywhere now: the one case.
        status, again = post(self.tb.api("s02-c01"), "/api/cases", application(ref))
        self.assertEqual((status, again["id"]), (200, case_id))

    def adapter(self, db, *extra):
        env = dict(os.environ)
        env.pop("CASESYNC_TOKEN", None)
        r = subprocess.run([sys.executable, ADAPTER, "--api", self.tb.api("s01-c01"), "--db", db,
                            "--source", "dept-x", "--token-file", self.token_files["dept-x"],
                            "--once", *extra],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_example_adapter_creates_mirrors_and_posts_decisions(self):
        db = os.path.join(self.tmp, "dept.db")
        self.adapter(db)  # creates the tables; nothing to do yet
        con = sqlite3.connect(db)
        con.executemany("INSERT INTO dept_applications (receipt_no, matter, applicant, materials) "
                        "VALUES (?, 'SP-014', ?, ?)",
                        [("D-1", "Zhao Lei", "申请书\n营业执照"), ("D-2", "Qian Yu", None),
                         ("D/3 浙", "Sun Li", None)])
        con.commit()
        out = self.adapter(db)
        self.assertEqual(out.count("created"), 3, out)
        ids = dict(con.execute("SELECT receipt_no, case_id FROM dept_applications"))
        self.assertEqual(ids["D-1"], "dept-x:D-1")
        self.assertTrue(ids["D/3 浙"].startswith("dept-x::"))  # not a plain reference: hashed
        # A crash after the POST but before the row kept its case: the retry finds the case.
        con.execute("UPDATE dept_applications SET case_id = NULL WHERE receipt_no = 'D-2'")
        con.commit()
        out = self.adapter(db)
        self.assertIn("application D-2 -> case dept-x:D-2 (already held)", out)
        held = self.tb.get("s01-c01", "/api/cases?source=dept-x")
        self.assertEqual(sorted(c["id"] for c in held), sorted(ids.values()))
        self.assertTrue(all(c["event_count"] == 1 for c in held))
        # The mirror holds every case the node holds.
        mirrored = dict(con.execute("SELECT case_id, status FROM casesync_cases"))
        everything = {c["id"] for c in self.tb.get("s01-c01", "/api/cases?limit=10000")}
        self.assertEqual(set(mirrored), everything)
        # The department decides. Signed by the system's own token, the node refuses it (a
        # decision is an officer's act) and the adapter keeps the refusal with the decision.
        con.execute("INSERT INTO dept_decisions (receipt_no, outcome, note) "
                    "VALUES ('D-1', 'approved', '同意')")
        con.commit()
        out = self.adapter(db)
        self.assertIn("refused", out)
        (error,) = con.execute("SELECT error FROM dept_decisions").fetchone()
        self.assertIn("forbidden_role", error)
        case = self.tb.get("s01-c01", "/api/cases/dept-x:D-1")
        self.assertNotEqual(case["status"], "completed")
        self.assertEqual(case["events"][0]["actor"]["id"], "dept-x")
        # With the officer's token it is completed (办结), naming the officer, and mirrored back.
        con.execute("UPDATE dept_decisions SET error = NULL")
        con.commit()
        self.adapter(db, "--decision-token-file", self.token_files["w01"])
        case = self.tb.get("s01-c01", "/api/cases/dept-x:D-1")
        self.assertEqual(case["status"], "completed")
        self.assertEqual(case["events"][-1]["actor"]["id"], "w01")
        self.adapter(db)
        row = con.execute("SELECT status, outcome, source, external_ref FROM casesync_cases "
                          "WHERE case_id = 'dept-x:D-1'").fetchone()
        self.assertEqual(row, ("completed", "approved", "dept-x", "D-1"))
        posted = con.execute("SELECT posted_at, error FROM dept_decisions").fetchone()
        self.assertIsNotNone(posted[0])
        self.assertIsNone(posted[1])
        poll_until("links drained", lambda: quiescent(self.tb), 30)


if __name__ == "__main__":
    unittest.main(verbosity=2)
