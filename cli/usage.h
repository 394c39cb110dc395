// casesyncctl's help: one entry per command, so `casesyncctl CMD --help` shows that command
// alone and `casesyncctl --help` all of them. Synopses (command names and flags) are an
// interface and stay as written; the summaries and the surrounding text are msgids (English),
// translated by tr() (common/translate.h).
#pragma once

#include "common/translate.h"

namespace casesync {

struct CommandHelp {
  const char* command;   // the words that name it ("case show"); help for "case" shows every case entry
  const char* synopsis;  // lines after the first are continuations
  const char* summary;   // msgid; lines are kept short for a terminal
};

inline constexpr const char* kUsageLine =
    "casesyncctl [--config FILE | --api URL] [--token-file FILE] COMMAND [ARGS] [--json]";
inline constexpr const char* kUsageIntro = N_(
    "Node selection: --config FILE reads the API address from that node's config\n"
    "(default $CASESYNC_CONFIG, else /etc/casesync/casesyncd.toml); --api URL talks to\n"
    "http://HOST:PORT directly.\n"
    "Who you are: every command that talks to a node sends a clerk's token, taken from\n"
    "--token-file FILE, else $CASESYNC_TOKEN, else the node's admin token (api.admin_token\n"
    "of its config: admin.token beside it, which root can read). A clerk's token comes\n"
    "from `clerk add`; the node answers 401 without one, 403 when the clerk's role may not.");

inline constexpr const char* kUsageFooter = N_(
    "A flag a command does not take is an error (exit 2), never ignored. Limits of what a case\n"
    "holds: applicant 200 characters, notes and reasons 4000, other values 1000, 64 fields,\n"
    "50 materials of 80 characters.\n"
    "\n"
    "With --json, results and errors are JSON on stdout; an error is\n"
    "{\"error\": CODE, \"message\": TEXT, \"field\": INPUT} (CODE as in docs/API.md).\n"
    "Exit status: 0 ok, 1 the node refused or failed (401, 403, 409, 415, 429, 5xx), 2 bad\n"
    "usage or input (400, 404, 413), 3 node unreachable.");

inline constexpr CommandHelp kCommandHelp[] = {
    {"keygen",
     "keygen --secret FILE [--public FILE]",
     N_("make an Ed25519 identity (secret file 0600)")},
    {"keygen",
     "keygen --data-key FILE",
     N_("make a node's data key (0600): its events are sealed\n"
        "under it at rest; restore needs it (back it up)")},
    {"admin-token new",
     "admin-token new [--out FILE] [--replace]",
     N_("the node's admin token (default: api.admin_token\n"
        "of --config, else /etc/casesync/admin.token; 0640);\n"
        "then `systemctl reload casesyncd`")},
    {"clerk add",
     "clerk add ID --name NAME --role window|reviewer|admin|system [--json]",
     N_("(admin) a clerk of this node; prints its token once\n"
        "(stored only as a hash). Roles: window receives,\n"
        "forwards, completes; reviewer signs for (签收),\n"
        "pre-reviews, answers, returns; admin all, and reopens\n"
        "at the district; system (a department system) creates,\n"
        "notes, edits, forwards")},
    {"clerk list",
     "clerk list [--json]",
     N_("(admin) this node's clerks")},
    {"clerk disable",
     "clerk disable ID",
     N_("(admin) its token is refused from now on")},
    {"root init",
     "root init [--out DIR]",
     N_("the district root key (root.key 0600, root.pub); makes\n"
        "DIR (0700) when it does not exist")},
    {"roster sign",
     "roster sign ROSTER --root-key KEY",
     N_("sign a roster file (writes ROSTER.sig); with --config of\n"
        "the district it also installs it (no push needed)")},
    {"roster push",
     "roster push ROSTER",
     N_("install a signed roster on the node (it propagates);\n"
        "a version the node already holds is not an error")},
    {"enroll request",
     "enroll request --parent NODE [--name TEXT] [--endpoint URL] [--out FILE]",
     N_("(with --config of the new node, or --id ID --role ROLE\n"
        "--key NODE.key) a request file: id, role, public key,\n"
        "parent, display name, the endpoint its children dial")},
    {"enroll approve",
     "enroll approve FILE --roster ROSTER --root-key KEY",
     N_("add the node, sign, install (--config of\n"
        "the district installs it at once)")},
    {"revoke",
     "revoke NODE --roster ROSTER --root-key KEY",
     N_("refuse the node everywhere from now on")},
    {"config check",
     "config check FILE",
     N_("validate a node config (and its roster)")},
    {"matters",
     "matters [--json]",
     N_("the matters catalogue (code, name, limit in working days)")},
    {"matters import",
     "matters import FILE.csv --out FILE.toml",
     N_("the district's catalogue export (UTF-8 CSV: code,name,\n"
        "limit_working_days,materials; ';' between materials) to\n"
        "a matters file; bad rows as FILE:LINE, nothing written")},
    {"policy publish",
     "policy publish --calendar FILE --matters FILE --root-key KEY",
     N_("(with --config of the district) check, sign and install\n"
        "the district's calendar and matters (with its [deadlines]\n"
        "defaults) as its next policy version (printed); every node\n"
        "follows it")},
    {"policy show",
     "policy show [--json]",
     N_("the installed policy: version, signed_at, calendar_years,\n"
        "matters, digest, deadlines (the defaults it sets)")},
    {"case create",
     "case create --matter CODE --applicant NAME [--id-number N] [--material NAME ...]\n[--field KEY=VALUE ...] [--source SYSTEM --external-ref REF] [--json]",
     N_("receive a case (受理); prints its id. With a department\n"
        "system's reference, creating it again gives the same\n"
        "case (no second entry, 二次录入)")},
    {"case show",
     "case show ID [--full] [--json]",
     N_("the case, its hops with their due times, its events and\n"
        "who did each (WHO); --full: unmasked ID number and\n"
        "phone, for a reviewer or admin, recorded as an audit\n"
        "event (viewed_full) that replicates to the district")},
    {"case trace",
     "case trace ID [--json]",
     N_("the hop chain: which clerk forwarded, signed for and\n"
        "answered each hop, when, each open hop's due time,\n"
        "supplement pauses, the timeline with a WHO column, time\n"
        "at each node; identical at every node holding the case;\n"
        "RECEIPTS: each signed receipt checked against the\n"
        "roster (verified, or why not) with its signer")},
    {"case forward",
     "case forward ID --to NODE [--desk NAME] [--due-working-days N]",
     N_("转办/上报")},
    {"case accept",
     "case accept ID [--hop HOP] [--desk NAME]",
     N_("签收")},
    {"case reply",
     "case reply ID --outcome approved|denied [--note TEXT]",
     N_("answer the hop")},
    {"case return",
     "case return ID --reason TEXT",
     N_("退回 (counts as a bounce)")},
    {"case supplement",
     "case supplement ID --material NAME [--material NAME ...]",
     N_("补正: list ALL at once")},
    {"case supplied",
     "case supplied ID [--material NAME ...]",
     N_("the applicant brought the requested materials;\n"
        "--material names each one that arrived, as the\n"
        "matter's catalogue lists it (or the start of one);\n"
        "they show as materials_received")},
    {"case receipt",
     "case receipt ID [--out FILE]",
     N_("受理回执: the acceptance receipt as HTML to print\n"
        "(A4): matter, applicant (masked), materials received\n"
        "and missing, time limit and due date, office, clerk;\n"
        "rendered by the node in the CLI's language; --out\n"
        "writes FILE instead of standard output")},
    {"case notice",
     "case notice ID [--out FILE]",
     N_("一次性告知书: the one-time notice of every missing\n"
        "material as HTML to print (A4), by the clerk of the\n"
        "latest supplement request; --out as for receipt")},
    {"case notify",
     "case notify ID [--channel SMS|phone|window] [--note TEXT]",
     N_("the applicant was told")},
    {"case withdraw",
     "case withdraw ID [--reason TEXT]",
     N_("撤回")},
    {"case complete",
     "case complete ID --outcome approved|denied [--as-district-admin]",
     N_("办结: by the office that\n"
        "received the case, once it is back there; a clerk with\n"
        "role admin at the district may complete any case\n"
        "(recorded as such)")},
    {"case reopen",
     "case reopen ID --reason TEXT",
     N_("(an admin at the district)")},
    {"case edit",
     "case edit ID --field NAME --value TEXT",
     N_("change a field of the case")},
    {"case note",
     "case note ID --text TEXT",
     N_("add a note to the case")},
    {"cases",
     "cases [--status S ...] [--open] [--holder NODE] [--applicant TEXT] [--matter CODE]\n[--waiting-for-me] [--since YYYY-MM-DD] [--external-ref REF] [--source SYSTEM]\n[--limit N] [--csv|--json]",
     N_("the cases this node holds, most recently active first\n"
        "(default 100, at most 10000); --status repeats (any\n"
        "of them); --open: not completed or withdrawn;\n"
        "--applicant: a part of the name; --waiting-for-me:\n"
        "hops addressed to this node not yet answered;\n"
        "--since: received on or after that day;\n"
        "--external-ref: a department system's reference")},
    {"conflicts",
     "conflicts [--json]",
     N_("every concurrent-change conflict and how it was resolved")},
    {"stalled",
     "stalled [--node N] [--overdue] [--json]",
     N_("late hops: stage, how late in working time, and why\n"
        "(silent | not_accepted | unreachable), escalated to whom")},
    {"stats",
     "stats --from DATE --to DATE [--node N] [--by node|clerk|matter] [--csv|--json]",
     N_("the supervision figures per node, per clerk at each\n"
        "node, or per matter (bounces: cases sent back, forwarded\n"
        "back or returned; \"(node)\": what no clerk signed)")},
    {"calendar due",
     "calendar due --from DATETIME (--working-days N | --working-hours N)",
     N_("when is it due?")},
    {"import",
     "import FILE.jsonl",
     N_("existing cases, one JSON object per line, all or nothing")},
    {"status",
     "status [--json]",
     N_("this node: links, backlog, counters, webhooks, API\n"
        "requests refused (no_token, bad_token, forbidden_role, ...)")},
    {"webhook list",
     "webhook list [--json]",
     N_("each [[webhook]]: state, position, dead letters")},
    {"webhook retry",
     "webhook retry NAME [--json]",
     N_("resend the webhook's dead letters (oldest first)")},
    {"health",
     "health [--json]",
     N_("every node below this one: in_step, lagging, offline,\n"
        "clock_skewed, security_alert, disk_trouble (exit 1 if any\n"
        "node is not in_step)")},
    {"security-alert clear",
     "security-alert clear NODE --reason TEXT",
     N_("(admin) the node's security_alert is understood:\n"
        "recorded (who, when, why, the counts) and logged as\n"
        "alert=security_alert_cleared; new refusals raise it again")},
    {"backup",
     "backup FILE",
     N_("(admin) online, consistent copy of the node's database\n"
        "into FILE (new; the node keeps its copy in\n"
        "paths.backup_dir); its events stay sealed under the\n"
        "node's data key")},
    {"restore",
     "restore FILE",
     N_("(node stopped; with --config) replace the database;\n"
        "needs the node's data key (paths.data_key)")},
    {"testbed",
     "testbed init|up|down|list|start|stop|kill ...",
     N_("a local loopback district (see testbed --help)")},
    {"help",
     "help [COMMAND [SUBCOMMAND]]",
     N_("this text, or one command's (the same as COMMAND --help)")},
};

}  // namespace casesync
