// casesyncctl --help: every command and flag. Flags spelled here are an interface.
#pragma once

namespace casesync {

inline constexpr const char* kUsage = R"(Usage: casesyncctl [--config FILE | --api URL] COMMAND [ARGS] [--json]

Node selection: --config FILE reads the API address from that node's config
(default /etc/casesync/casesyncd.toml); --api URL talks to http://HOST:PORT directly.

Commands:
  keygen --secret FILE [--public FILE]   make an Ed25519 identity (secret file 0600)
  root init [--out DIR]                  the district root key (root.key 0600, root.pub)
  roster sign ROSTER --root-key KEY      sign a roster file (writes ROSTER.sig)
  roster push ROSTER                     install a signed roster on the node (it propagates)
  enroll request --parent NODE [--out FILE]      (with --config of the new node) a request file
  enroll approve FILE --roster ROSTER --root-key KEY   add the node, sign, install (--config of
                                         the district installs it at once)
  revoke NODE --roster ROSTER --root-key KEY     refuse the node everywhere from now on
  config check FILE                      validate a node config (and its roster)
  matters [--json]                       the matters catalogue (code, name, limit in working days)
  case create --matter CODE --applicant NAME [--id-number N] [--material NAME ...]
              [--field KEY=VALUE ...] [--source SYSTEM --external-ref REF] [--json]
                                         receive a case (受理); prints its id. With a department
                                         system's reference, creating it again gives the same
                                         case (no second entry, 二次录入)
  case show ID [--full] [--json]         the case, its hops with their due times, its events
                                         (--full: unmasked ID number)
  case trace ID [--json]                 the hop chain: who and when for every receipt, each open
                                         hop's due time, supplement pauses, time at each node;
                                         identical at every node holding the case
  case forward ID --to NODE [--desk NAME] [--due_working_days N]    转办/上报
  case accept ID [--hop HOP] [--desk NAME]                          签收
  case reply ID --outcome approved|denied [--note TEXT]             answer the hop
  case return ID --reason TEXT                                      退回 (counts as a bounce)
  case supplement ID --material NAME [--material NAME ...]          补正: list ALL at once
  case supplied ID [--material NAME ...]  the applicant brought the requested materials
  case notify ID [--channel SMS|phone|window] [--note TEXT]         the applicant was told
  case withdraw ID [--reason TEXT]                                  撤回
  case complete ID --outcome approved|denied [--as-district-admin]  办结: by the office that
                                         received the case, once it is back there; a district
                                         admin may complete any case (recorded as such)
  case reopen ID --reason TEXT           (district only)
  case edit ID --field NAME --value TEXT
  case note ID --text TEXT
  cases [--status S ...] [--open] [--holder NODE] [--applicant TEXT] [--matter CODE]
        [--waiting-for-me] [--since YYYY-MM-DD] [--external-ref REF] [--source SYSTEM]
        [--limit N] [--csv|--json]
                                         the cases this node holds, most recently active first
                                         (default 100, at most 10000); --status repeats (any
                                         of them); --open: not completed or withdrawn;
                                         --applicant: a part of the name; --waiting-for-me:
                                         hops addressed to this node not yet answered;
                                         --since: received on or after that day;
                                         --external-ref: a department system's reference
  conflicts [--json]                     every concurrent-change conflict and how it was resolved
  stalled [--node N] [--overdue] [--json]  late hops: stage, how late in working time, and why
                                         (silent | not_accepted | unreachable), escalated to whom
  stats --from DATE --to DATE [--node N] [--csv|--json]   the supervision figures per node
                                         (bounces: cases sent back, forwarded back or returned)
  calendar due --from DATETIME (--working-days N | --working-hours N)   when is it due?
  import FILE.jsonl                      existing cases, one JSON object per line, all or nothing
  status [--json]                        this node: links, backlog, counters, webhooks
  webhook list [--json]                  each [[webhook]]: state, position, dead letters
  webhook retry NAME [--json]            resend the webhook's dead letters (oldest first)
  health [--json]                        every node below this one: in_step, lagging, offline,
                                         clock_skewed, security_alert, disk_trouble (exit 1 if any
                                         node is not in_step)
  backup FILE                            online, consistent copy of the node's database into
                                         FILE (new; the node keeps its copy in paths.backup_dir)
  restore FILE                           (node stopped; with --config) replace the database
  testbed init|up|down|list|start|stop|kill ...   a local loopback district (see testbed --help)

A flag a command does not take is an error (exit 2), never ignored. Limits of what a case
holds: applicant 200 characters, notes and reasons 4000, other values 1000, 64 fields,
50 materials of 80 characters.

With --json, results and errors are JSON on stdout; an error is
{"error": CODE, "message": TEXT, "field": INPUT} (CODE as in docs/API.md).
Exit status: 0 ok, 1 the node refused or failed (403, 409, 5xx), 2 bad usage or input
(400, 404, 413), 3 node unreachable.
)";

}  // namespace casesync
