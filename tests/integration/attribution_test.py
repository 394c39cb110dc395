#!/usr/bin/env python3
"""Proves that one account of every case holds across real daemons: for a silent street (running,
never signing for a case), a stopped street and a stopped community, `casesyncctl stalled --json`
and `case trace ID --json` print byte-identical output at the district, a street and a community
holding the case, with the attribution the evidence supports (silent / unreachable), escalation
never to the receiver, and no time charged to a node before its own receipt; and that concurrent
clashes made across a partition (return vs supplied, return vs accept, notify vs withdraw) are
recorded identically at every node, the loser's node named so its page alerts it."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, ctl, poll_until, quiescent  # noqa: E402

BASE_PORT = int(os.environ.get("ATTRIB_BASE_PORT", 22500))
# Deadlines of seconds on the `always` calendar: a stage reaches overdue, then both escalations
# (escalate_fraction 0.5 of the limit), within ~10 s of its start at the slowest reporter.
SETS = ["calendar=always", "deadlines.delivery=3s", "deadlines.accept=3s", "deadlines.answer=4s",
        "stall.check_interval=1s", "health.interval=1s", "sync.peer_timeout_ms=2000",
        "sync.resend_timeout_ms=500"]
SETTLE_S = 60


class Bed(unittest.TestCase):
    """A district, two streets and two communities under each, with deadlines of seconds."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="casesync-attrib-")
        cls.tb = Testbed(os.path.join(cls.tmp, "tb"), streets=2, communities=2,
                         base_port=BASE_PORT, sets=SETS)
        cls.tb.up()

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def cli(self, node, *args, check=True):
        return ctl("--config", self.tb.nodes[node]["config"], *args, check=check)

    def cli_json(self, node, *args):
        return json.loads(self.cli(node, *args, "--json").stdout)

    def create(self, node, applicant):
        return self.cli_json(node, "case", "create", "--matter", "QY-001", "--applicant",
                             applicant)["id"]

    def forward(self, node, cid, to):
        return self.cli_json(node, "case", "forward", cid, "--to", to)["hops"][-1]["hop"]

    def hop_stage(self, node, cid, hop):
        hops = {h["hop"]: h for h in self.tb.get(node, f"/api/cases/{cid}")["hops"]}
        return hops[hop]["stage"] if hop in hops else None

    def wait_stage(self, node, cid, hop, stage):
        poll_until(f"hop {hop} {stage} at {node}",
                   lambda: self.hop_stage(node, cid, hop) == stage, SETTLE_S)

    def outputs(self, nodes, cid):
        """Each node's exact CLI output: stalled --json and case trace --json."""
        return {n: (self.cli(n, "stalled", "--json").stdout,
                    self.cli(n, "case", "trace", cid, "--json").stdout) for n in nodes}

    def identical_when(self, nodes, cid, hop, final):
        """Polls until the nodes print the same bytes and `final(stall)` holds for the stall of
        `hop` there; returns (that stall, the trace). Earlier hops may stall too (a street that
        signed for a case and sent it on still owes its sender an answer)."""
        last = {}

        def same():
            out = self.outputs(nodes, cid)
            last.update(out)
            if len(set(out.values())) != 1:
                return None
            stalls = [s for s in json.loads(out[nodes[0]][0])
                      if s["case"] == cid and s["hop"] == hop]
            return (stalls, json.loads(out[nodes[0]][1])) if stalls and final(stalls[0]) else None
        try:
            stalls, trace = poll_until(f"identical stalls and trace of {cid} at {nodes}", same,
                                       SETTLE_S)
        except Exception:
            for n, (st, tr) in last.items():
                print(f"--- {n}\n{st}\n{tr[:1500]}", file=sys.stderr)
            raise
        self.assertEqual(len(stalls), 1, stalls)
        self.assertEqual(json.loads(last[nodes[0]][1])["stalls"],
                         [s for s in json.loads(last[nodes[0]][0]) if s["case"] == cid])
        return stalls[0], trace

    def close(self, node, cid, nodes):
        """Withdraws the case so the next scenario starts with no stall anywhere."""
        self.cli(node, "case", "withdraw", cid, "--reason", "test over")
        poll_until("no stall left", lambda: all(
            not [s for s in json.loads(self.cli(n, "stalled", "--json").stdout)]
            for n in nodes), SETTLE_S)


class Attribution(Bed):
    def test_1_silent_street(self):
        nodes = ["district", "s01", "s01-c01"]
        cid = self.create("s01-c01", "Silent Street")
        hop = self.forward("s01-c01", cid, "s01")
        self.wait_stage("s01-c01", cid, hop, "delivered")  # s01's daemon runs and signed it
        st, trace = self.identical_when(
            nodes, cid, hop,
            lambda s: s["attribution"] == "silent" and s["escalated_to"] == "district")
        self.assertEqual((st["hop"], st["stage"], st["level"]), (hop, "accept", "overdue"))
        # s01 is the sender's parent, but it is the one not answering: the alert skips it.
        self.assertNotEqual(st["escalated_to"], "s01")
        self.assertEqual(st["seen_by"], "s01")  # its own signed sighting, its own clock
        self.assertEqual(trace["stalls"], [st])  # its only hop
        dwell = {d["node"]: d["ms"] for d in trace["dwell"]}
        self.assertGreater(dwell["s01"], 0)
        self.close("s01-c01", cid, nodes)

    def stopped_receiver(self, community, street, stopped, applicant):
        """A case received at `community`, sent up to `street` and signed for there, then
        forwarded by the street to `stopped`, which is down: the street's own sightings make the
        hop unreachable alike at the district, the street and the community; returns the trace."""
        nodes = ["district", street, community]
        cid = self.create(community, applicant)
        up = self.forward(community, cid, street)
        self.wait_stage(street, cid, up, "delivered")
        self.cli(street, "case", "accept", cid)
        self.tb.stop(stopped)
        try:
            hop = self.forward(street, cid, stopped)
            st, trace = self.identical_when(
                nodes, cid, hop,
                lambda s: s["attribution"] == "unreachable" and s["escalated_to"] == "district")
            self.assertEqual((st["stage"], st["receiver"], st["seen_by"]),
                             ("delivery", stopped, street))
            self.close(community, cid, nodes)
        finally:
            self.tb.start(stopped)
        return trace

    def test_2_stopped_street(self):
        trace = self.stopped_receiver("s02-c01", "s02", "s01", "Stopped Street")
        # s01 never received it: none of the time since the forward is charged to it.
        self.assertEqual({d["node"]: d["ms"] for d in trace["dwell"]}["s01"], 0)

    def test_3_stopped_community(self):
        trace = self.stopped_receiver("s01-c02", "s01", "s01-c01", "Stopped Community")
        self.assertEqual({d["node"]: d["ms"] for d in trace["dwell"]}["s01-c01"], 0)


class Clashes(Bed):
    """Each clash is made across a partition: the relay between the two authors is stopped, both
    act, the relay comes back and every node folds the same conflict."""

    def settle(self):
        poll_until("links drained", lambda: quiescent(self.tb), SETTLE_S)

    def conflicts_everywhere(self, cid, nodes, rule):
        def all_have():
            got = {n: [c for c in self.cli_json(n, "conflicts") if c["case"] == cid]
                   for n in nodes}
            texts = {json.dumps(v, sort_keys=True) for v in got.values()}
            return got[nodes[0]] if len(texts) == 1 and any(
                c["rule"] == rule for c in got[nodes[0]]) else None
        return poll_until(f"{rule} recorded alike at {nodes}", all_have, SETTLE_S)

    def at_district(self, node, applicant):
        """A case received at `node` (a community of s02), forwarded to and accepted by the
        district: the district and the community both hold it, s02 between them."""
        cid = self.create(node, applicant)
        hop = self.forward(node, cid, "district")
        self.wait_stage("district", cid, hop, "delivered")
        self.cli("district", "case", "accept", cid)
        self.wait_stage(node, cid, hop, "accepted")
        return cid, hop

    def test_return_vs_supplied(self):
        nodes = ["district", "s02", "s02-c02"]
        cid, _ = self.at_district("s02-c02", "Return Supplied")
        self.settle()
        self.tb.stop("s02")
        try:
            self.cli("district", "case", "return", cid, "--reason", "materials missing")
            self.cli("s02-c02", "case", "supplied", cid)
        finally:
            self.tb.start("s02")
        got = self.conflicts_everywhere(cid, nodes, "return_vs_supplied")
        c = [c for c in got if c["rule"] == "return_vs_supplied"][0]
        # The district returned a case whose materials had arrived: it is told to look again.
        self.assertEqual(c["loser_node"], "district")
        self.assertEqual(self.cli_json("district", "case", "show", cid)["status"], "returned")

    def test_notify_vs_withdraw(self):
        nodes = ["district", "s02", "s02-c02"]
        cid, _ = self.at_district("s02-c02", "Notify Withdraw")
        self.settle()
        self.tb.stop("s02")
        try:
            self.cli("district", "case", "notify", cid, "--channel", "SMS")
            self.cli("s02-c02", "case", "withdraw", cid, "--reason", "applicant moved away")
        finally:
            self.tb.start("s02")
        got = self.conflicts_everywhere(cid, nodes, "notify_vs_withdraw")
        c = [c for c in got if c["rule"] == "notify_vs_withdraw"][0]
        self.assertEqual(c["loser_node"], "district")

    def test_return_vs_accept(self):
        nodes = ["district", "s01", "s01-c01", "s02-c02"]
        cid, _ = self.at_district("s02-c02", "Return Accept")
        hop = self.forward("district", cid, "s01-c01")
        self.wait_stage("district", cid, hop, "delivered")
        self.settle()
        self.tb.stop("s01")  # the district and s01-c01 can no longer see each other
        try:
            # The district sends the case back to the community that sent it up while, not yet
            # knowing, s01-c01 signs for the hop the district had sent it.
            self.cli("district", "case", "return", cid, "--reason", "wrong office")
            self.cli("s01-c01", "case", "accept", cid, "--hop", hop)
        finally:
            self.tb.start("s01")
        got = self.conflicts_everywhere(cid, nodes, "return_vs_accept")
        c = [c for c in got if c["rule"] == "return_vs_accept"][0]
        self.assertEqual(c["loser_node"], "s01-c01")


if __name__ == "__main__":
    unittest.main(verbosity=2)
