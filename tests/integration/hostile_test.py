#!/usr/bin/env python3
"""Proves a street survives a hostile child: one attack per test (casesync-hostile-peer speaking
as a stopped community with its real keys, or as a stranger), and after each the street's daemon
is alive, the attack is refused and counted under its reason, nothing forged is stored, and the
other community's cases still reach the district; a forged log line stays inside one line, and
the stopped community's keys never receive its sibling's traffic under the sibling's routing id.
Then (class Banned) that a peer which keeps sending garbage is cut off and refused for a ban
while the others' events flow, and comes back after it: a child against its street, and a street
against its child."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Testbed, all_links_up, bin_dir, ctl, log, poll_until  # noqa: E402

BASE_PORT = int(os.environ.get("HOSTILE_BASE_PORT", 18600))
BAN_BASE_PORT = int(os.environ.get("HOSTILE_BAN_BASE_PORT", 20900))
STREET, HOSTILE, HONEST = "s01", "s01-c01", "s01-c02"
# What each rejected attack is counted as in the street's GET /api/status counters.rejects.
REJECT_REASON = {
    "truncated": "malformed_frame",
    "huge-length": "malformed_frame",
    "flip-body": "bad_signature",
    "flip-signature": "bad_signature",
    "unknown-key": "bad_signature",
    "unknown-origin": "unknown_origin",
    # Signed by a stranger's key: held as a bad signature (a revoked node's own history stays
    # valid, so "revoked" alone is no reason to refuse an event).
    "revoked-key": "bad_signature",
    "other-origin": "origin_mismatch",
    "equivocation": "equivocation",
    "unauthorized": "unauthorized",
    "log_injection": "unauthorized",
}
# How long id_takeover keeps reconnecting: rounds of about 3 s each; the sibling's traffic must
# flow both ways within it.
TAKEOVER_MS = 12000
# How many times the redial check dials: on a busy machine libzmq keeps the child's own (empty)
# routing-id claim for a good share of handshakes, so some of these take that path.
REDIAL_ROUNDS = 40


def street_with_two_communities(prefix, base_port, sets):
    """A district, one street and its two communities, every link up."""
    tb = Testbed(os.path.join(tempfile.mkdtemp(prefix=prefix), "tb"), streets=1, communities=2,
                 base_port=base_port, sets=sets)
    tb.up()
    poll_until("every link up", lambda: all_links_up(tb), 30)
    return tb


def hostile_peer():
    p = os.environ.get("CASESYNC_HOSTILE_PEER") or os.path.join(bin_dir(), "tests",
                                                                "casesync-hostile-peer")
    if not os.path.exists(p):
        raise SystemExit(f"{p} is not built (tests/CMakeLists.txt builds tests/hostile_peer.cc)")
    return p


def attack_while(test, args, during, still_holds=None):
    """Runs the tool with `args` and `during()` while it runs (the tool must outlast it, or
    `still_holds()` must say that what it did, a ban say, is still in force); returns the tool's
    exit code and output."""
    attack = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        during()
        if attack.poll() is not None and not (still_holds and still_holds()):
            test.fail("the attack and its effect ended before the honest traffic flowed")
        out, _ = attack.communicate(timeout=60)
    finally:
        if attack.poll() is None:
            attack.kill()
            attack.wait()
    log(f"{args[args.index('--attack') + 1]}: rc={attack.returncode} {out.strip()}")
    return attack.returncode, out


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = hostile_peer()
        # One attack after another must not add up to a ban here: class Banned tests that.
        cls.tb = street_with_two_communities("casesync-hostile-", BASE_PORT,
                                             ["penalty.rejects_max=10000"])
        cls.tb.stop(HOSTILE)  # from here on its keys are ours
        cls.honest_cases = 0

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    # ------------------------------------------------------------ observations

    def status(self, node=STREET):
        return self.tb.get(node, "/api/status")

    def rejects(self):
        return self.status()["counters"]["rejects"]

    @staticmethod
    def hostile_identity_rejects(status):
        return status["counters"]["peers"].get(HOSTILE, {}).get("rejects", {}).get(
            "identity_mismatch", 0)

    def events(self, node):
        out, after = [], 0
        while True:
            page = self.tb.get(node, f"/api/events?after={after}&limit=1000")
            out += page["events"]
            if not page["events"]:
                return out
            after = page["next"]

    def chain_head(self):
        """HOSTILE's events as the street holds them: (seq, hash) of the newest, or (0, zeros)."""
        mine = sorted((e for e in self.events(STREET) if e["origin"] == HOSTILE),
                      key=lambda e: e["seq"])
        return (mine[-1]["seq"], mine[-1]["hash"]) if mine else (0, "00" * 32)

    def assert_alive(self):
        with open(os.path.join(self.tb.dir, STREET, "casesyncd.pid")) as f:
            pid = int(f.read().split()[0])
        os.kill(pid, 0)  # raises when the process is gone
        with urllib.request.urlopen(self.tb.api(STREET) + "/healthz", timeout=10) as r:
            self.assertEqual(r.status, 200, f"{STREET} /healthz\n{self.tb.log_tail(STREET)}")

    def assert_nothing_forged(self):
        """The only hostile case_ids anywhere are validly signed: the replay event, or its twin
        (test_13 signs a second version of its seq; every node keeps the same one of the two by
        the fixed rule of sync/evidence_book.h), once."""
        kept = {}
        for node in (STREET, "district"):
            hostile = [e for e in self.events(node) if "-hostile-" in e["case_id"]]
            forged = [e for e in hostile if e["kind"] != "case_created" or
                      not e["case_id"].endswith(("-replayed", "-twin"))]
            self.assertEqual(forged, [], f"forged events stored at {node}")
            keys = [(e["origin"], e["seq"]) for e in hostile]
            self.assertEqual(len(keys), len(set(keys)), f"an event stored twice at {node}")
            self.assertLessEqual(len(keys), 2, f"too many hostile events at {node}: {keys}")
            kept[node] = sorted(e["hash"] for e in hostile)
        poll_until("the street and the district keep the same hostile events",
                   lambda: sorted(e["hash"] for e in self.events("district")
                                  if "-hostile-" in e["case_id"]) == kept[STREET], 10)

    def assert_honest_traffic_flows(self):
        Hostile.honest_cases += 1
        c = json.loads(ctl("--config", self.tb.nodes[HONEST]["config"], "case", "create",
                           "--matter", "QY-001", "--applicant",
                           f"Honest {Hostile.honest_cases}", "--json").stdout)
        poll_until(f"{c['id']} from {HONEST} at the district",
                   lambda: c["id"] in self.tb.case_ids("district"), 30)

    def run_tool(self, attack, *extra, expect_rc=0):
        link = [l for l in self.status()["links"] if l["peer"] == HOSTILE][0]
        args = [self.tool, "--testbed", self.tb.dir, "--target", STREET, "--attack", attack,
                "--as", HOSTILE, "--applied-pos", str(link["sent_acked_pos"]), *extra]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        log(f"{attack}: rc={r.returncode} {r.stdout.strip()} {r.stderr.strip()}")
        if r.returncode == 3:
            self.skipTest(r.stdout.strip())
        self.assertEqual(r.returncode, expect_rc, r.stdout + r.stderr)
        return r

    def attack_rejected(self, attack, *extra):
        """Runs an attack counted in counters.rejects and checks everything around it."""
        reason = REJECT_REASON[attack]
        before = self.rejects().get(reason, 0)
        self.run_tool(attack, *extra)
        poll_until(f"{attack} counted as {reason} at {STREET}",
                   lambda: self.rejects().get(reason, 0) > before, 10)
        self.after_attack()

    def after_attack(self):
        self.assert_alive()
        self.assert_nothing_forged()
        self.assert_honest_traffic_flows()

    # ------------------------------------------------------------ transport level

    def ended(self, reason):
        return self.status()["transport"]["connections_ended"][reason]

    def test_01_garbage_bytes_are_hung_up_on(self):
        before = self.ended("not_zmtp")
        self.run_tool("garbage")  # exits 0 only when the street closed the TCP connection
        poll_until("raw garbage counted as connections_ended.not_zmtp",
                   lambda: self.ended("not_zmtp") > before, 10)
        self.after_attack()

    def test_02_unknown_curve_key_is_refused_by_zap(self):
        before = self.status()["transport"]["auth_denied"]
        self.run_tool("unknown-curve")  # exits 0 only when the handshake was refused
        poll_until("auth_denied counted",
                   lambda: self.status()["transport"]["auth_denied"] > before, 10)
        self.after_attack()

    def test_03_oversize_frame_drops_the_connection(self):
        before = self.ended("no_frame_after_handshake")
        self.run_tool("oversize")  # exits 0 only when the street dropped the connection
        poll_until("the oversize first frame counted as connections_ended.no_frame_after_handshake",
                   lambda: self.ended("no_frame_after_handshake") > before, 10)
        self.after_attack()

    def test_04_truncated_frame(self):
        self.attack_rejected("truncated")

    def test_05_huge_length_prefix(self):
        self.attack_rejected("huge-length")

    # ------------------------------------------------------------ forged events

    def test_06_flipped_bit_in_event_body(self):
        self.attack_rejected("flip-body")

    def test_07_flipped_bit_in_signature(self):
        self.attack_rejected("flip-signature")

    def test_08_event_signed_by_an_unknown_key(self):
        self.attack_rejected("unknown-key")

    def test_09_event_from_an_unknown_origin(self):
        self.attack_rejected("unknown-origin")

    def test_10_event_claiming_a_revoked_node(self):
        self.attack_rejected("revoked-key")

    def test_11_event_signed_by_one_child_claiming_another(self):
        self.attack_rejected("other-origin", "--other", HONEST)

    # ------------------------------------------------------------ a compromised child's key

    def test_12_replayed_batch_is_stored_once(self):
        seq, head = self.chain_head()
        dup_before = self.status()["counters"]["events_duplicate"]
        self.run_tool("replay", "--seq", str(seq + 1), "--prev", head)
        replayed = [e for e in self.events(STREET)
                    if e["origin"] == HOSTILE and e["case_id"].endswith("-replayed")]
        self.assertEqual([e["seq"] for e in replayed], [seq + 1])
        # The same batch at the same position is a duplicate by position (ignored); the same event
        # at a new position is a duplicate by content.
        self.assertGreater(self.status()["counters"]["events_duplicate"], dup_before)
        self.after_attack()

    def test_13_equivocation(self):
        mine = {e["seq"]: e for e in self.events(STREET) if e["origin"] == HOSTILE}
        replayed = [e for e in mine.values() if e["case_id"].endswith("-replayed")]
        if not replayed:
            self.skipTest("needs the event test_12 stored")
        seq = replayed[0]["seq"]
        prev = mine[seq - 1]["hash"] if seq > 1 else "00" * 32
        eq_before = self.status()["counters"]["equivocations"]
        self.attack_rejected("equivocation", "--seq", str(seq), "--prev", prev)
        self.assertGreater(self.status()["counters"]["equivocations"], eq_before)

    def test_14_unauthorized_kind(self):
        seq, head = self.chain_head()
        replayed = [e for e in self.events(STREET)
                    if e["origin"] == HOSTILE and e["case_id"].endswith("-replayed")]
        if not replayed:
            self.skipTest("needs the case test_12 stored")
        self.attack_rejected("unauthorized", "--seq", str(seq + 1), "--prev", head,
                             "--case", replayed[0]["case_id"], "--case-parent", replayed[0]["hash"])

    def test_15_a_forged_log_line_stays_inside_one_line(self):
        """A case id and a kind carrying "\\n<0>node=district FORGED": the decoder refuses the
        case id; the kind is refused as unauthorized and its alert logged — as one line."""
        seq, head = self.chain_head()
        malformed = self.rejects().get("malformed_event", 0)
        self.attack_rejected("log_injection", "--seq", str(seq + 1), "--prev", head)
        poll_until("the forged case id refused by the decoder (malformed_event)",
                   lambda: self.rejects().get("malformed_event", 0) > malformed, 10)
        path = os.path.join(self.tb.dir, STREET, "casesyncd.log")
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        logged = [l for l in lines if "FORGED" in l]
        log(f"log_injection: {STREET} logged {logged}")
        self.assertTrue(logged, f"the refused kind was not logged at {STREET}")
        for line in lines:
            self.assertRegex(line, r"^<[3-7]>node=s01 ", f"a line not written by {STREET}'s logger")
        for line in logged:
            self.assertIn("\\x0a<0>node=district FORGED", line)

    def test_16_a_childs_keys_cannot_take_its_siblings_routing_id(self):
        """HOSTILE's keys speaking as HONEST, reconnecting all along, every other connection also
        claiming HONEST's name as its routing id: nothing reaches it, its Hello naming HONEST is
        refused and counted as identity_mismatch with an alert naming HOSTILE (a claim libzmq
        kept is refused before the Hello, as transport.identity_mismatch), and HONEST's traffic
        keeps flowing both ways meanwhile."""
        mismatch = self.rejects().get("identity_mismatch", 0)
        claims = self.status()["transport"]["identity_mismatch"]

        def sibling_traffic_flows():
            self.assert_honest_traffic_flows()  # up: HONEST's case reaches the district
            down = self.tb.post(STREET, "/api/cases", {"matter": "QY-001",
                                                       "applicant": "Down to the sibling"})["id"]
            ctl("--config", self.tb.nodes[STREET]["config"], "case", "forward", down, "--to",
                HONEST)
            poll_until(f"{down} forwarded by {STREET} at {HONEST}",
                       lambda: down in self.tb.case_ids(HONEST), TAKEOVER_MS / 1000)

        rc, out = attack_while(self, [self.tool, "--testbed", self.tb.dir, "--target", STREET,
                                      "--attack", "id_takeover", "--as", HOSTILE, "--other",
                                      HONEST, "--duration-ms", str(TAKEOVER_MS)],
                               sibling_traffic_flows)
        # 0 only when no connection got a frame before speaking and no Hello as HONEST was answered.
        self.assertEqual(rc, 0, out)
        log(f"id_takeover: {STREET} counted rejects.identity_mismatch "
            f"+{self.rejects().get('identity_mismatch', 0) - mismatch}, claims kept by libzmq "
            f"(transport.identity_mismatch) +{self.status()['transport']['identity_mismatch'] - claims}")
        # The rounds without a claim always reach the Hello check, whatever the race did.
        self.assertGreater(self.rejects().get("identity_mismatch", 0), mismatch)
        alerts = self.tb.get(STREET, "/api/health")["security_alerts"]
        self.assertIn({"node": HOSTILE, "reject_reason": "identity_mismatch",
                       "counted_by": STREET},
                      [{k: a[k] for k in ("node", "reject_reason", "counted_by")} for a in alerts])
        self.after_attack()

    def test_17_honest_nodes_were_never_refused_for_their_identity(self):
        """Every connection of an honest node comes through, whichever outcome libzmq's handshake
        race had: a child dialling again and again (HOSTILE's keys, like the real child) has
        every Hello answered and nothing refused for its identity; no identity_mismatch of any
        kind and no ban at the district (whose only child is the street); HONEST never refused
        so, nor banned, at the street."""
        # HOSTILE's keys dialling like the real child, many times: each Hello answered.
        street = self.status()
        claims = street["transport"]["identity_mismatch"]
        refused = self.hostile_identity_rejects(street)
        self.run_tool("redial", "--rounds", str(REDIAL_ROUNDS))
        street = self.status()
        self.assertEqual(street["transport"]["identity_mismatch"], claims)
        self.assertEqual(self.hostile_identity_rejects(street), refused)
        district = self.status("district")
        log(f"district: transport {district['transport']} penalty {district['penalty']}")
        self.assertEqual(district["transport"]["identity_mismatch"], 0)
        self.assertEqual(district["counters"]["rejects"].get("identity_mismatch", 0), 0)
        self.assertEqual(district["penalty"]["bans"], 0)
        honest = street["counters"]["peers"].get(HONEST, {}).get("rejects", {})
        self.assertEqual(honest.get("identity_mismatch", 0), 0, honest)
        self.assertNotIn(HONEST, street["penalty"]["bans_by_peer"])

    # ------------------------------------------------------------ last: it may break the street

    def test_18_hello_cannot_move_the_targets_own_chain(self):
        """A child's Hello carries restore hints (your_last_seq and that event as signed) for a
        node that lost its own events; a parent must not let a child rewrite its chain head or
        stall its writes with a restore: here the hint is 2^64-1 under a signature of noise,
        which would leave the street's next seq at 0, which is never allocated."""
        before = self.status()["last_seq"]
        refused = self.rejects().get("unproven_hello_claim", 0)
        # The refused Hello goes unanswered: the street routes nothing to a connection whose
        # frames it refused (docs/ARCHITECTURE.md, "Routing identity"), so the tool says so (1).
        self.run_tool("hello-seq", "--seq", str(2**64 - 1), expect_rc=1)
        poll_until("the claim refused as unproven_hello_claim",
                   lambda: self.rejects().get("unproven_hello_claim", 0) > refused, 10)
        self.assert_alive()
        after = self.status()["last_seq"]
        r = ctl("--config", self.tb.nodes[STREET]["config"], "case", "create", "--matter",
                "QY-001", "--applicant", "Street clerk", "--json", check=False)
        log(f"hello-seq: {STREET} last_seq {before} -> {after}; its next case_created: "
            f"rc={r.returncode} {r.stdout.strip()[:80]} {r.stderr.strip()}")
        self.assertEqual(after, before, f"{STREET}'s own sequence moved on a child's word")
        self.assertEqual(r.returncode, 0, f"{STREET} can no longer author events: {r.stderr}")
        cid = json.loads(r.stdout)["id"]
        poll_until(f"{cid} from {STREET} at the district",
                   lambda: cid in self.tb.case_ids("district"), 15)


# Bans last 9..12 s (12 s less up to a quarter of jitter); each attack stays well inside that.
BAN_SETS = ["penalty.rejects_max=5", "penalty.window=10s", "penalty.ban=12s",
            "penalty.ban_max=1m"]
FLOOD_MS = 4000        # how long the flooding child keeps dialling after it was cut off
CLIENT_REDIAL_S = 15   # a refused child dials again after 5 s, then 10 s (daemon/transport.cc)
BAN_MAX_S = 12


class Banned(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = hostile_peer()
        cls.tb = street_with_two_communities("casesync-banned-", BAN_BASE_PORT, BAN_SETS)
        cls.cases = 0

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def status(self, node):
        return self.tb.get(node, "/api/status")

    def link_up(self, node, peer):
        return any(l["peer"] == peer and l["state"] == "up" for l in self.status(node)["links"])

    def new_case(self, node):
        Banned.cases += 1
        return self.tb.post(node, "/api/cases", {"matter": "QY-001",
                                                 "applicant": f"Banned {Banned.cases}"})["id"]

    def case_reaches_district(self, node, timeout_s=30):
        cid = self.new_case(node)
        poll_until(f"{cid} from {node} at the district",
                   lambda: cid in self.tb.case_ids("district"), timeout_s)
        return cid

    def run_tool(self, attack, *extra, timeout_s=90):
        args = [self.tool, "--testbed", self.tb.dir, "--target", STREET, "--attack", attack,
                *extra]
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s)
        log(f"{attack}: rc={r.returncode} {r.stdout.strip()} {r.stderr.strip()}")
        return r

    def test_1_a_child_that_keeps_sending_garbage_is_cut_off_and_refused(self):
        self.tb.stop(HOSTILE)  # from here on its keys are ours
        before = self.status(STREET)
        # The other community's events flow while the attacker keeps dialling or sits out its
        # ban (9..12 s from the cut): the state when the case arrives, not a race with the
        # flood's own 4 s on a busy machine.
        rc, out = attack_while(self, [self.tool, "--testbed", self.tb.dir, "--target", STREET,
                                      "--attack", "flood", "--as", HOSTILE, "--duration-ms",
                                      str(FLOOD_MS)],
                               lambda: self.case_reaches_district(HONEST),
                               still_holds=lambda: HOSTILE in [
                                   b["peer"] for b in self.status(STREET)["penalty"]["banned"]])
        # 0 only when the street cut the connection and refused every dial after it.
        self.assertEqual(rc, 0, out)
        after = self.status(STREET)
        log(f"{STREET} after the flood: penalty {after['penalty']} transport {after['transport']}")
        self.assertGreater(after["penalty"]["bans"], before["penalty"]["bans"])
        self.assertEqual([b["peer"] for b in after["penalty"]["banned"]], [HOSTILE])
        self.assertGreater(after["transport"]["auth_denied_banned"],
                           before["transport"]["auth_denied_banned"])
        # Frames dropped while banned are not asserted: whether any frame of the flood arrives
        # between the ban and the cut of its connection is a race (5x make test under load found
        # a run with none); the refused reconnects above are the ban at work.
        log(f"frames dropped while banned: {after['transport']['frames_dropped_banned'] - before['transport']['frames_dropped_banned']}")
        # The ban names the refused inputs that earned it: more than rejects_max (5), all of them
        # malformed frames. The tool claims no routing id, like a real child, so none of its
        # dials is refused for its identity, whatever libzmq's handshake race made of it.
        self.assertGreaterEqual(after["penalty"]["banned"][0]["rejects"], 6)
        self.assertGreaterEqual(after["counters"]["rejects"].get("malformed_frame", 0), 6)
        self.assertEqual(after["transport"]["identity_mismatch"],
                         before["transport"]["identity_mismatch"])

    def test_2_after_the_ban_the_child_connects_again(self):
        asked = time.monotonic()  # before the ban's remaining time is read: a safe lower bound
        banned = {b["peer"]: b for b in self.status(STREET)["penalty"]["banned"]}
        self.assertIn(HOSTILE, banned, "needs the ban of test_1")
        remaining_s = banned[HOSTILE]["remaining_ms"] / 1000
        log(f"{HOSTILE} still banned for {remaining_s:.1f} s")
        # The real daemon comes back while it is still banned: refused, then it dials again. On
        # a busy machine its start may outlast the ban; then it must not have been let in before
        # the ban's end either.
        self.tb.start(HOSTILE)
        poll_until(f"{HOSTILE} refused by its parent, or its link up at {STREET}",
                   lambda: self.status(HOSTILE)["transport"]["parent_refused"] > 0
                   or self.link_up(STREET, HOSTILE), BAN_MAX_S + CLIENT_REDIAL_S + 10)
        if self.status(HOSTILE)["transport"]["parent_refused"] == 0:
            log(f"{HOSTILE} started after its ban ended: no refusal to see")
            self.assertGreaterEqual(time.monotonic() - asked, remaining_s,
                                    f"{HOSTILE} was let in while banned")
        poll_until(f"{HOSTILE}'s link up at {STREET} after the ban",
                   lambda: self.link_up(STREET, HOSTILE), BAN_MAX_S + CLIENT_REDIAL_S + 10)
        self.assertEqual(self.status(STREET)["penalty"]["banned"], [])
        self.case_reaches_district(HOSTILE)

    def test_3_a_parent_that_keeps_sending_garbage_is_hung_up_on(self):
        self.tb.stop(HOSTILE)  # one child dials the fake street: the one we watch
        self.tb.stop(STREET)
        r = self.run_tool("parent-flood", "--duration-ms", str(FLOOD_MS),
                          "--timeout-ms", str((BAN_MAX_S + CLIENT_REDIAL_S) * 1000))
        # 0 only when the child hung up on us, stayed away for FLOOD_MS, then dialled again.
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        penalty = self.status(HONEST)["penalty"]
        log(f"{HONEST} after the parent flood: {penalty}")
        self.assertGreaterEqual(penalty["bans_by_peer"].get(STREET, 0), 1)
        self.tb.start(STREET)
        self.tb.start(HOSTILE)
        poll_until(f"{HONEST}'s link to {STREET} up again",
                   lambda: self.link_up(HONEST, STREET), 30)
        self.case_reaches_district(HONEST)


if __name__ == "__main__":
    unittest.main(verbosity=2)
