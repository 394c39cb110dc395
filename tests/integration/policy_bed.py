"""What the policy tests share (policy_test, policy_restart_test): a testbed whose lag alert is
short, a node's `policy show --json`, and the district's health row of a node behind the
district's policy version."""

import json
import os
import tempfile

from harness import Testbed, ctl, poll_until


class PolicyBed:
    """Mixed into a unittest.TestCase whose setUpClass sets cls.tb (a harness.Testbed)."""

    @classmethod
    def start_bed(cls, prefix, base_port, lag_alert_s):
        """A district, one street and two communities, up; cls.tmp, cls.dir, cls.root_key."""
        cls.tmp = tempfile.mkdtemp(prefix=prefix)
        cls.dir = os.path.join(cls.tmp, "tb")
        cls.tb = Testbed(cls.dir, streets=1, communities=2, base_port=base_port,
                         sets=[f"policy.lag_alert={lag_alert_s}s", "health.interval=1s",
                               "health.offline_after=4s", "sync.peer_timeout_ms=2000"])
        cls.tb.up()
        cls.root_key = os.path.join(cls.dir, "root.key")

    @classmethod
    def tearDownClass(cls):
        cls.tb.down()

    def cfg(self, node):
        return self.tb.nodes[node]["config"]

    def show(self, node):
        return json.loads(ctl("--config", self.cfg(node), "policy", "show", "--json").stdout)

    def lag_warning(self, node):
        """The district's health row of `node` when it says the node is behind on policy."""
        rows = {n["id"]: n for n in self.tb.get("district", "/api/health")["nodes"]}
        row = rows[node]
        text = row["reason"] + " " + " ".join(row["warnings"])
        return row if "the district has" in text else None

    def wait_reported(self, node):
        """Until the district holds a health report of `node` (a node that never reported is
        offline, with no version to compare)."""
        poll_until(f"a health report of {node} at the district", lambda: {
            n["id"]: n for n in self.tb.get("district", "/api/health")["nodes"]}[node][
                "policy_version"] is not None, 60)
