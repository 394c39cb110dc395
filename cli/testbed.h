// `casesyncctl testbed`: a whole district of casesyncd processes on 127.0.0.1, for trials and
// integration tests. `init` writes keys, one config per node and a shared roster; `up`, `down`,
// `start`, `stop` and `kill` manage the processes through pid files; `list` reports them.
//
// Layout of a testbed directory DIR:
//   DIR/testbed.json            the nodes (id, role, parent, config, api), read by every subcommand
//   DIR/roster.toml             the roster every node loads
//   DIR/<id>/casesyncd.toml     the node's config; data in DIR/<id>/data, keys node.key + node.pub
//   DIR/<id>/casesyncd.pid      present while `up`/`start` has the node running
//   DIR/<id>/casesyncd.log      the node's stdout and stderr, appended
#pragma once

#include <string>
#include <vector>

namespace casesync {

// Runs `casesyncctl testbed SUBCOMMAND ...`; `args` are everything after "testbed". Returns the
// process exit code: 0 done, 1 a node failed to start or stop or I/O failed, 2 bad usage or an
// invalid testbed. `self_exe_dir` is the directory of the casesyncctl binary: casesyncd is looked
// up there first, then in $CASESYNCD, then in ../daemon/ beside it (a build tree), then on PATH.
int testbed_main(const std::vector<std::string>& args, const std::string& self_exe_dir);

}  // namespace casesync
