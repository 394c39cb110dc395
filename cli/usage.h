// casesyncctl --help: every command and flag. Flags spelled here are an interface.
#pragma once

namespace casesync {

inline constexpr const char* kUsage = R"USAGE(Usage: casesyncctl [--config FILE | --api URL] [--token-file FILE] COMMAND [ARGS] [--json]

Node selection: --config FILE reads the API address from that node's config
(default $CASESYNC_CONFIG, else /etc/casesync/casesyncd.toml); --api URL talks to
http://HOST:PORT directly.
Who you are: every command that talks to a node sends a clerk's token, taken from
--token-file FILE, else $CASESYNC_TOKEN, else the node's admin token (api.admin_token
of its config: admin.token beside it, which root can read). A clerk's token comes
from `clerk add`; the node answers 401 without one, 403 when the clerk's role may not.

Commands:
  keygen --secret FILE [--public FILE]   make an Ed25519 identity (secret file 0600)
  keygen --data-key FILE                 make a node's data key (0600): its events are sealed
                                         under it at rest; restore needs it (back it up)
  admin-token new [--out FILE] [--replace]   the node's admin token (default: api.admin_token
                                         of --config, else /etc/casesync/admin.token; 0640);
                                         then `systemctl reload casesyncd`
  clerk add ID --name NAME --role window|reviewer|admin|system [--json]
                                         (admin) a clerk of this node; prints its token once
                                         (stored only as a hash). Roles: window receives,
                                         forwards, completes; reviewer signs for (签收),
                                         pre-reviews, answers, returns; admin all, and reopens
                                         at the district; system (a department system) creates,
                                         notes, edits, forwards
  clerk list [--json]                    (admin) this node's clerks
  clerk disable ID                       (admin) its token is refused from now on
  root init [--out DIR]                  the district root key (root.key 0600, root.pub); makes
                                         DIR (0700) when it does not exist
  roster sign ROSTER --root-key KEY      sign a roster file (writes ROSTER.sig); with --config of
                                         the district it also installs it (no push needed)
  roster push ROSTER                     install a signed roster on the node (it propagates);
                                         a version the node already holds is not an error
  enroll request --parent NODE [--name TEXT] [--endpoint URL] [--out FILE]
                                         (with --config of the new node, or --id ID --role ROLE
                                         --key NODE.key) a request file: id, role, public key,
                                         parent, display name, the endpoint its children dial
  enroll approve FILE --roster ROSTER --root-key KEY   add the node, sign, install (--config of
                                         the district installs it at once)
  revoke NODE --roster ROSTER --root-key KEY     refuse the node everywhere from now on
  config check FILE                      validate a node config (and its roster)
  matters [--json]                       the matters catalogue (code, name, limit in working days)
  matters import FILE.csv --out FILE.toml   the district's catalogue export (UTF-8 CSV: code,name,
                                         limit_working_days,materials; ';' between materials) to
                                         a matters file; bad rows as FILE:LINE, nothing written
  policy publish --calendar FILE --matters FILE --root-key KEY   (with --config of the district)
                                         check, sign and install the district's calendar and
                                         matters as its next policy version (printed); every
                                         node follows it
  policy show [--json]                   version, signed_at, calendar_years, matters, digest
  case create --matter CODE --applicant NAME [--id-number N] [--material NAME ...]
              [--field KEY=VALUE ...] [--source SYSTEM --external-ref REF] [--json]
                                         receive a case (受理); prints its id. With a department
                                         system's reference, creating it again gives the same
                                         case (no second entry, 二次录入)
  case show ID [--full] [--json]         the case, its hops with their due times, its events and
                                         who did each (WHO); --full: unmasked ID number and
                                         phone, for a reviewer or admin, recorded as an audit
                                         event (viewed_full) that replicates to the district
  case trace ID [--json]                 the hop chain: which clerk forwarded, signed for and
                                         answered each hop, when, each open hop's due time,
                                         supplement pauses, the timeline with a WHO column, time
                                         at each node; identical at every node holding the case
  case forward ID --to NODE [--desk NAME] [--due-working-days N]    转办/上报
  case accept ID [--hop HOP] [--desk NAME]                          签收
  case reply ID --outcome approved|denied [--note TEXT]             answer the hop
  case return ID --reason TEXT                                      退回 (counts as a bounce)
  case supplement ID --material NAME [--material NAME ...]          补正: list ALL at once
  case supplied ID [--material NAME ...]  the applicant brought the requested materials
  case notify ID [--channel SMS|phone|window] [--note TEXT]         the applicant was told
  case withdraw ID [--reason TEXT]                                  撤回
  case complete ID --outcome approved|denied [--as-district-admin]  办结: by the office that
                                         received the case, once it is back there; a clerk with
                                         role admin at the district may complete any case
                                         (recorded as such)
  case reopen ID --reason TEXT           (an admin at the district)
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
  stats --from DATE --to DATE [--node N] [--by node|clerk] [--csv|--json]
                                         the supervision figures per node, or per clerk at each
                                         node (bounces: cases sent back, forwarded back or
                                         returned; "(node)": what no clerk signed)
  calendar due --from DATETIME (--working-days N | --working-hours N)   when is it due?
  import FILE.jsonl                      existing cases, one JSON object per line, all or nothing
  status [--json]                        this node: links, backlog, counters, webhooks, API
                                         requests refused (no_token, bad_token, forbidden_role, ...)
  webhook list [--json]                  each [[webhook]]: state, position, dead letters
  webhook retry NAME [--json]            resend the webhook's dead letters (oldest first)
  health [--json]                        every node below this one: in_step, lagging, offline,
                                         clock_skewed, security_alert, disk_trouble (exit 1 if any
                                         node is not in_step)
  security-alert clear NODE --reason TEXT  (admin) the node's security_alert is understood:
                                         recorded (who, when, why, the counts) and logged as
                                         alert=security_alert_cleared; new refusals raise it again
  backup FILE                            (admin) online, consistent copy of the node's database
                                         into FILE (new; the node keeps its copy in
                                         paths.backup_dir); its events stay sealed under the
                                         node's data key
  restore FILE                           (node stopped; with --config) replace the database;
                                         needs the node's data key (paths.data_key)
  testbed init|up|down|list|start|stop|kill ...   a local loopback district (see testbed --help)

A flag a command does not take is an error (exit 2), never ignored. Limits of what a case
holds: applicant 200 characters, notes and reasons 4000, other values 1000, 64 fields,
50 materials of 80 characters.

With --json, results and errors are JSON on stdout; an error is
{"error": CODE, "message": TEXT, "field": INPUT} (CODE as in docs/API.md).
Exit status: 0 ok, 1 the node refused or failed (401, 403, 409, 415, 429, 5xx), 2 bad
usage or input (400, 404, 413), 3 node unreachable.
)USAGE";

}  // namespace casesync
