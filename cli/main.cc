// casesyncctl: the operator's and clerk's command line for a casesync node. Every command that
// talks to a node is a client of that node's local API; every read command has --json.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/case_cmds.h"
#include "cli/clerk_cmds.h"
#include "cli/cli_common.h"
#include "cli/command_help.h"
#include "cli/health_cmd.h"
#include "cli/labels.h"
#include "cli/policy_cmd.h"
#include "cli/table.h"
#include "cli/testbed.h"
#include "cli/trust_cmds.h"
#include "cli/webhook_cmds.h"
#include "common/translate.h"
#include "common/utf8.h"
#include "common/civil_date.h"
#include "config/calendar_file.h"
#include "config/fallback_check.h"
#include "config/node_config.h"
#include "config/policy_bundle.h"
#include "config/start_checks.h"
#include "config/roster_file.h"
#include "crypto/crypto.h"
#include "crypto/data_key.h"
#include "crypto/key_file.h"
#include "storage/sqlite_store.h"
#include "sync/local_identity.h"

using namespace casesync;
using nlohmann::json;

namespace {

// Every command takes its flags, then calls this: a flag it did not take is a usage error.
#define REJECT_LEFTOVER_FLAGS(cli, command) \
  if (auto problem = (cli).leftover_flag(command)) return usage_error(cli, *problem)

int cmd_keygen(Cli& cli) {
  std::string secret = cli.flag("--secret");
  std::string pub = cli.flag("--public");
  std::string data_key = cli.flag("--data-key");
  REJECT_LEFTOVER_FLAGS(cli, "keygen");
  if (!data_key.empty() && secret.empty() && pub.empty()) return cmd_keygen_data_key(cli, data_key);
  if (secret.empty() || !data_key.empty()) {
    return usage_error(cli, "keygen --secret FILE [--public FILE], or keygen --data-key FILE");
  }
  if (pub.empty()) pub = secret + ".pub";
  if (Status st = crypto::init(); !st.is_ok()) return fail(cli, st);
  auto pair = crypto::generate_keypair();
  if (Status st = crypto::write_keypair(secret, pub, pair); !st.is_ok()) return fail(cli, st);
  std::printf("%s\n", to_hex(pair.public_key).c_str());
  std::fprintf(stderr, tr("secret key written to %s (mode 0600), public key to %s\n"),
               secret.c_str(), pub.c_str());
  return 0;
}

// Runs every check casesyncd runs at start (config/start_checks.h), so a config this says ok
// for is one the daemon starts with; a refusal is word for word the daemon's.
int cmd_config_check(Cli& cli) {
  REJECT_LEFTOVER_FLAGS(cli, "config check");
  if (cli.args.size() != 1) return usage_error(cli, tr("config check needs exactly one FILE"));
  auto cfg = load_node_config(cli.args[0]);
  if (!cfg.is_ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return 2;
  }
  if (Status st = crypto::init(); !st.is_ok()) return fail(cli, st);
  auto in = check_start_inputs(*cfg);
  if (!in.is_ok()) {
    std::fprintf(stderr, "%s\n", in.status().message().c_str());
    return 2;
  }
  for (const auto& w : in->warnings) std::fprintf(stderr, "WARNING: %s\n", w.c_str());
  // node.parents beyond the roster's fallback_parents would never be dialled (issue 27).
  if (Status st = check_fallbacks_in_roster(*cfg, in->roster); !st.is_ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 2;
  }
  std::printf(tr("%s: ok (node %s, role %s, roster of %zu nodes)\n"), cli.args[0].c_str(),
              cfg->node_id.c_str(), role_name(cfg->role), in->roster.nodes().size());
  return 0;
}

int cmd_matters(Cli& cli) {
  REJECT_LEFTOVER_FLAGS(cli, "matters");
  if (!cli.args.empty()) return usage_error(cli, tr("matters takes no arguments"));
  auto r = call(cli, "GET", "/api/matters");
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), 0;
  TextTable t({N_("CODE"), N_("LIMIT_WD"), N_("NAME"), N_("MATERIALS")});
  for (const auto& m : *r) {
    t.add({m.value("code", ""), std::to_string(m.value("limit_working_days", 0)),
           m.value("name", ""), std::to_string(m["materials"].size())});
  }
  t.print();
  return 0;
}

int cmd_conflicts(Cli& cli) {
  REJECT_LEFTOVER_FLAGS(cli, "conflicts");
  if (!cli.args.empty()) return usage_error(cli, tr("conflicts takes no arguments"));
  auto r = call(cli, "GET", "/api/conflicts?limit=10000");
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), 0;
  TextTable t({N_("CASE"), N_("RULE"), N_("WINNER"), N_("LOSER"), N_("DETAIL")});
  for (const auto& c : *r) {
    t.add({c.value("case", ""), c.value("rule", ""), c.value("winner", ""), c.value("loser", ""),
           c.value("detail", "")});
  }
  t.print();
  return 0;
}

int cmd_stalled(Cli& cli) {
  std::string node = cli.flag("--node");
  bool overdue = cli.has("--overdue");
  REJECT_LEFTOVER_FLAGS(cli, "stalled");
  if (!cli.args.empty()) return usage_error(cli, tr("stalled takes no positional arguments"));
  std::string q = "/api/stalled?fresh=1";
  if (!node.empty()) q += "&node=" + url_encode(node);
  if (overdue) q += "&overdue=1";
  auto r = call(cli, "GET", q);
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), 0;
  TextTable t({N_("CASE"), N_("HOP"), N_("STAGE"), N_("LEVEL"), N_("SENDER"), N_("RECEIVER"),
               N_("LATE"), N_("ATTRIBUTION"), N_("ESCALATED_TO"), N_("SEEN_BY")});
  for (const auto& s : *r) {
    t.add({s.value("case", ""), s.value("hop", ""), label(s.value("stage", "")),
           label(s.value("level", "")), s.value("sender", ""), s.value("receiver", ""),
           s.value("overdue_by_text", ""), label(s.value("attribution", "")),
           s.value("escalated_to", ""), s.value("seen_by", "")});
  }
  t.print();
  return 0;
}

int cmd_stats(Cli& cli) {
  std::string from = cli.flag("--from"), to = cli.flag("--to");
  std::string node = cli.flag("--node");
  std::string by = cli.flag("--by");
  bool csv = cli.has("--csv");
  REJECT_LEFTOVER_FLAGS(cli, "stats");
  if (from.empty() || to.empty())
    return usage_error(cli, tr("stats needs --from DATE --to DATE (YYYY-MM-DD)"));
  if (!cli.args.empty()) return usage_error(cli, tr("stats takes no positional arguments"));
  if (!by.empty() && by != "node" && by != "clerk" && by != "matter")
    return usage_error(cli, tr("--by node, --by clerk or --by matter"));
  const bool by_clerk = by == "clerk", by_matter = by == "matter";
  auto r = call(cli, "GET", "/api/stats?from=" + url_encode(from) + "&to=" + url_encode(to) +
                                (node.empty() ? "" : "&node=" + url_encode(node)) +
                                (by_clerk || by_matter ? "&by=" + by : ""));
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), 0;
  std::vector<std::string> cols = {by_matter ? N_("matter") : N_("node"),
                                   N_("received"),
                                   N_("prereviewed"),
                                   N_("forwarded"),
                                   N_("delivered"),
                                   N_("accepted"),
                                   N_("answered"),
                                   N_("completed"),
                                   N_("on_time_rate"),
                                   N_("accept_median_h"),
                                   N_("accept_p95_h"),
                                   N_("answer_median_h"),
                                   N_("answer_p95_h"),
                                   N_("bounces"),
                                   N_("repeated_supplement_requests"),
                                   N_("stalls")};
  auto num = [](const json& v) {
    if (v.is_null()) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof(b), v.is_number_float() ? "%.2f" : "%.0f", v.get<double>());
    return std::string(b);
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : (*r)["nodes"]) {
    std::string stalls;
    for (const auto& [k, v] : n["stalls_by_attribution"].items()) {
      stalls +=
          (stalls.empty() ? "" : " ") + (csv ? k : label(k)) + "=" + std::to_string(v.get<int>());
    }
    if (by_clerk) {
      const json& c = n["clerk"];
      rows.push_back({c.is_object() ? c.value("id", "") + " " + c.value("name", "") : tr("(node)")});
    } else {
      rows.push_back({});
    }
    const std::vector<std::string> figures = {n.value(by_matter ? "matter" : "node", ""), num(n["received"]), num(n["prereviewed"]),
                    num(n["forwarded"]), num(n["delivered"]), num(n["accepted"]),
                    num(n["answered"]), num(n["completed"]), num(n["on_time_rate"]),
                    num(n["accept"]["median_working_hours"]), num(n["accept"]["p95_working_hours"]),
                    num(n["answer"]["median_working_hours"]), num(n["answer"]["p95_working_hours"]),
                    num(n["bounces"]), num(n["repeated_supplement_requests"]), stalls};
    rows.back().insert(rows.back().end(), figures.begin(), figures.end());
  }
  if (by_clerk) cols.insert(cols.begin(), "clerk");
  if (csv) return print_csv(cols, rows), 0;
  TextTable t(cols);
  for (auto& row : rows) t.add(row);
  t.print();
  return 0;
}

// Offline: answers "when is this due?" from the calendar in the node's config (or the built-in
// national calendar), no daemon needed.
int cmd_calendar(Cli& cli) {
  if (cli.args.empty() || cli.args[0] != "due") return usage_error(cli, "calendar due --from DATETIME --working-days N");
  cli.args.erase(cli.args.begin());
  std::string from = cli.flag("--from");
  std::string days = cli.flag("--working-days"), hours = cli.flag("--working-hours");
  REJECT_LEFTOVER_FLAGS(cli, "calendar due");
  if (!cli.args.empty()) return usage_error(cli, tr("calendar due takes no positional arguments"));
  std::string setting;
  std::optional<WorkCalendar> installed;
  if (!cli.config.empty()) {
    auto cfg = load_node_config(cli.config);
    if (!cfg.is_ok()) return fail(cli, cfg.status());
    setting = cfg->supervision.calendar;
    // Once the node installed the district's policy, its calendar is the one deadlines follow.
    if (Policy p = installed_policy(cfg->data_dir, cfg->root_public_key, nullptr); p.version > 0) {
      installed = std::move(p.calendar);
    }
  }
  auto cal = installed ? Result<WorkCalendar>(std::move(*installed)) : calendar_for(setting);
  if (!cal.is_ok()) return fail(cli, cal.status());
  auto when = parse_local_datetime(from);
  if (!when) {
    return usage_error(cli, "--from takes a real date YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time), not \"" +
                                from + "\"");
  }
  const std::uint64_t start = cal->day_start_utc(day_from_civil(when->date.year, when->date.month, when->date.day)) +
                              static_cast<std::uint64_t>(when->minute_of_day) * 60000;
  if (days.empty() == hours.empty()) {
    return usage_error(cli, "calendar due needs one of --working-days N or --working-hours N");
  }
  const std::string& amount = days.empty() ? hours : days;
  const auto n = parse_count(days.empty() ? "--working-hours" : "--working-days", amount, 1,
                             static_cast<int>(WorkCalendar::kWorkingDaysMax));
  if (!n.is_ok()) return usage_error(cli, n.status().message());
  const auto count = static_cast<std::uint32_t>(*n);
  const std::uint64_t due = days.empty() ? cal->add_working_ms(start, count * 3600000ull)
                                         : cal->add_working_days(start, count);
  const std::uint64_t local = due - cal->day_start_utc(cal->local_day(due));
  const CivilDate dd = civil_from_day(cal->local_day(due));
  char out[64];
  std::snprintf(out, sizeof(out), "%04d-%02u-%02uT%02llu:%02llu", dd.year, dd.month, dd.day,
                static_cast<unsigned long long>(local / 3600000),
                static_cast<unsigned long long>(local / 60000 % 60));
  if (cli.as_json) {
    print_json({{"from", from}, {"due", out}, {"due_utc_ms", due},
                {"missing_years", cal->missing_years(start, due)}});
  } else {
    std::printf("%s\n", out);
  }
  std::string missing;
  for (int y : cal->missing_years(start, due)) missing += (missing.empty() ? "" : ", ") + std::to_string(y);
  if (!missing.empty()) {
    std::fprintf(stderr,
                 "WARNING: the calendar has no holiday schedule for %s; counted Monday-Friday less the "
                 "statutory holidays, without make-up working days. Add the State Council schedule "
                 "to the calendar file\n",
                 missing.c_str());
  }
  return 0;
}

// The node writes a backup into its own backup folder (paths.backup_dir; it keeps that copy)
// and casesyncctl streams it to FILE, created here as the person running it: never over an
// existing file, 0600.
int cmd_backup(Cli& cli) {
  REJECT_LEFTOVER_FLAGS(cli, "backup");
  if (cli.args.size() != 1) return usage_error(cli, "backup FILE");
  const std::string path = std::filesystem::absolute(cli.args[0]).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const bool exists = errno == EEXIST;
    return fail(cli, Status::error(exists ? Code::kInvalidArgument : Code::kIoError,
                                   path + (exists ? " exists already; a backup never replaces a "
                                                    "file: give a new name"
                                                  : ": cannot create: " + std::string(std::strerror(errno)))));
  }
  auto drop = [&](const Status& st) {
    ::close(fd);
    ::unlink(path.c_str());
    return fail(cli, st);
  };
  auto made = call(cli, "POST", "/api/backup", json::object());
  if (!made.is_ok()) return drop(made.status());
  const std::string name = made->value("name", "");
  auto client = ApiClient::from_options(cli.api, cli.config, cli.token_file);
  if (!client.is_ok()) return drop(client.status());
  ApiResponse refused;
  auto got = client->download("/api/backups/" + name, fd, &refused);
  if (!got.is_ok()) return drop(got.status());
  if (refused.status >= 400) {
    return drop(node_answer(cli, *client, "GET /api/backups/" + name, refused).status());
  }
  const std::uint64_t want = made->value("bytes", 0ull);
  if (*got != want || ::fsync(fd) != 0) {
    return drop(Status::error(Code::kIoError, path + ": the copy stopped at " + std::to_string(*got) +
                                                  " of " + std::to_string(want) + " bytes"));
  }
  ::close(fd);
  if (cli.as_json) {
    json out = *made;
    out["file"] = path;
    return print_json(out), 0;
  }
  std::printf(tr("%s: %llu events, integrity ok (the node keeps its copy: %s)\n"), path.c_str(),
              made->value("events", 0ull), made->value("path", "").c_str());
  return 0;
}

// A backup's events are sealed under the data key of the node that made it: the backup is
// useless without that key, and checked with it before it replaces anything.
Status check_backup(const std::string& path, const NodeConfig& cfg) {
  RETURN_IF_ERROR(crypto::init());
  auto key = crypto::load_data_key(cfg.data_key_file);
  if (!key.is_ok()) {
    return Status::error(key.status().code(),
                         key.status().message() +
                             "\nrestore needs this node's data key (paths.data_key): the backup's "
                             "events are sealed under it. Put back data.key from the key backup "
                             "(docs/INSTALL.md, Keys), then restore again");
  }
  auto check = SqliteStore::open(path, &*key);
  if (!check.is_ok()) return check.status().with_context(path);
  auto ok = (*check)->pragma("integrity_check");
  if (!ok.is_ok() || *ok != "ok") {
    return Status::error(Code::kCorruption, path + ": integrity check failed");
  }
  if (Status st = (*check)->check_events_open(); !st.is_ok()) {
    return Status::error(st.code(), st.message() + "\n(is " + cfg.data_key_file +
                                        " the data key of the node that made this backup?)");
  }
  return Status::ok();
}

// Copies `from` beside `db`, syncs it and renames it over `db` (then syncs the directory): a
// crash leaves the old database or the whole backup, never a half-copied file. The node's files
// are its own alone (daemon/private_files.h), whatever the backup's mode.
// A test's way to kill the restore between its steps (tests/integration/restore_crash_test.py):
// CASESYNC_TEST_RESTORE_CRASH_AFTER=copy|marker|rename ends the process there at once, as a
// power cut would, so a test can show that no crash point makes the node sign one seq twice.
void crash_point(const char* step) {
  const char* at = std::getenv("CASESYNC_TEST_RESTORE_CRASH_AFTER");
  if (at && std::string_view(at) == step) ::_exit(9);
}

// The restore marker, inside the copy (meta.restore_pending): the database that is renamed into
// place already says it was restored, so no crash can leave a restored database unmarked.
Status mark_restored(const std::string& copy, const NodeConfig& cfg) {
  ASSIGN_OR_RETURN(auto key, crypto::load_data_key(cfg.data_key_file));
  ASSIGN_OR_RETURN(auto store, SqliteStore::open(copy, &key));
  RETURN_IF_ERROR(store->begin());
  Status st = store->put_meta(kMetaRestorePending, "1");
  if (st.is_ok()) st = store->commit();
  if (!st.is_ok()) store->rollback();
  return st.with_context(copy);
}

Status install_copy(const std::string& from, const std::string& db, const NodeConfig& cfg) {
  const std::string tmp = db + ".restoring";
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(tmp + suffix, ec);  // a crashed restore's leftovers
  }
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Status::error(Code::kIoError, tmp + ": cannot copy " + from + ": " + ec.message());
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  crash_point("copy");
  if (Status st = mark_restored(tmp, cfg); !st.is_ok()) {
    std::filesystem::remove(tmp, ec);
    return st;
  }
  crash_point("marker");
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) {
    std::filesystem::remove(tmp, ec);
    return Status::error(Code::kIoError, tmp + ": cannot sync the copy: " + std::strerror(errno));
  }
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db + suffix, ec);
  if (::rename(tmp.c_str(), db.c_str()) != 0) {
    return Status::error(Code::kIoError, db + ": cannot replace: " + std::strerror(errno));
  }
  crash_point("rename");
  const int dir = ::open(std::filesystem::path(db).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::ok();
}

// restore runs as root, so what it wrote is root's; the node runs as the user its key belongs to
// (casesync under the package) and would then fail on its own data folder (issue 27).
void print_owner_hint(const NodeConfig& cfg) {
  struct stat key {};
  if (::geteuid() != 0 || ::stat(cfg.key_file.c_str(), &key) != 0 || key.st_uid == 0) return;
  const passwd* pw = ::getpwuid(key.st_uid);
  const group* gr = ::getgrgid(key.st_gid);
  const std::string owner = (pw ? std::string(pw->pw_name) : std::to_string(key.st_uid)) + ":" +
                            (gr ? std::string(gr->gr_name) : std::to_string(key.st_gid));
  std::printf(tr("the node runs as %s: before starting it, give it its data folder back: "
                 "chown -R %s %s && chmod 0700 %s\n"),
              owner.c_str(), owner.c_str(), cfg.data_dir.c_str(), cfg.data_dir.c_str());
}

// Offline: the node must be stopped. The backup is checked before it replaces the database;
// after restart the node re-syncs what it lacks and resumes its sequence after the last one its
// parent holds (never signing a number twice).
int cmd_restore(Cli& cli) {
  REJECT_LEFTOVER_FLAGS(cli, "restore");
  if (cli.args.size() != 1 || cli.config.empty()) return usage_error(cli, "--config FILE restore BACKUP");
  auto cfg = load_node_config(cli.config);
  if (!cfg.is_ok()) return fail(cli, cfg.status());
  if (auto c = ApiClient::from_options("", cli.config); c.is_ok() && c->get("/healthz").is_ok()) {
    return fail(cli, Status::error(Code::kInvalidArgument,
                              "node " + cfg->node_id + " is running; stop it first (systemctl stop casesyncd)"));
  }
  if (Status st = check_backup(cli.args[0], *cfg); !st.is_ok()) return fail(cli, st);
  const std::string db = cfg->data_dir + "/casesync.db";
  std::error_code ec;
  std::filesystem::create_directories(cfg->data_dir, ec);
  // The marker is inside the copy, which is synced before it is renamed into place: a crash
  // leaves the old database as it was or the backup marked as restored, never the backup
  // unmarked (which could sign sequence numbers its peers already hold).
  if (Status st = install_copy(cli.args[0], db, *cfg); !st.is_ok()) return fail(cli, st);
  std::printf(tr("%s restored from %s; start the node: it re-syncs from its peers\n"), db.c_str(),
              cli.args[0].c_str());
  print_owner_hint(*cfg);
  return 0;
}

int cmd_import(Cli& cli) {
  REJECT_LEFTOVER_FLAGS(cli, "import");
  if (cli.args.size() != 1) return usage_error(cli, "import FILE.jsonl");
  std::ifstream in(cli.args[0], std::ios::binary);
  if (!in) return fail(cli, Status::error(Code::kInvalidArgument, cli.args[0] + ": cannot read"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = call_text(cli, "/api/import", text);
  if (!r.is_ok()) return fail(cli, r.status().with_context(cli.args[0]));
  if (cli.as_json) return print_json(*r), 0;
  std::printf(tr("imported %d cases\n"), r->value("imported", 0));
  return 0;
}

// Bans in force and the connections libzmq dropped by itself; silent when there are none.
void print_penalty(const json& s) {
  const json penalty = s.value("penalty", json::object());
  for (const auto& b : penalty.value("banned", json::array())) {
    std::printf(tr("banned: %s for %llus more (ban %llu in a row, after %llu refused inputs)\n"),
                b.value("peer", "").c_str(), b.value("remaining_ms", 0ull) / 1000,
                b.value("offence", 0ull), b.value("rejects", 0ull));
  }
  const json transport = s.value("transport", json::object());
  if (penalty.value("bans", 0ull) > 0) {
    std::printf(tr("bans: %llu, frames dropped while banned: %llu, reconnects refused: %llu\n"),
                penalty.value("bans", 0ull), transport.value("frames_dropped_banned", 0ull),
                transport.value("auth_denied_banned", 0ull));
  }
  std::string dropped;
  const json ended = transport.value("connections_ended", json::object());
  for (const auto& [reason, n] : ended.items()) {
    if (reason == "closed_after_frames" || n.get<std::uint64_t>() == 0) continue;
    dropped += (dropped.empty() ? "" : ", ") + reason + " " + std::to_string(n.get<std::uint64_t>());
  }
  if (!dropped.empty()) std::printf(tr("connections dropped: %s\n"), dropped.c_str());
}

int cmd_status(Cli& cli) {
  REJECT_LEFTOVER_FLAGS(cli, "status");
  if (!cli.args.empty()) return usage_error(cli, tr("status takes no arguments"));
  auto r = call(cli, "GET", "/api/status");
  if (!r.is_ok()) return fail(cli, r.status());
  if (cli.as_json) return print_json(*r), 0;
  const json& s = *r;
  std::printf(tr("node %s (%s)  parent %s  uptime %llus  events %llu  last_seq %llu%s\n"),
              s.value("node", "").c_str(), s.value("role", "").c_str(),
              s.value("parent", "").empty() ? "-" : s.value("parent", "").c_str(),
              s.value("uptime_s", 0ull), s["store"].value("events", 0ull),
              s.value("last_seq", 0ull), s.value("disk_trouble", false) ? "  DISK TROUBLE" : "");
  TextTable t({N_("PEER"), N_("DIR"), N_("STATE"), N_("BACKLOG"), N_("OLDEST_MS"), N_("IN_FLIGHT"),
               N_("RTT_MS"), N_("HEARD_MS_AGO")});
  for (const auto& l : s["links"]) {
    t.add({l.value("peer", ""), l.value("direction", ""), l.value("state", ""),
           std::to_string(l.value("backlog_events", 0ull)),
           std::to_string(l.value("backlog_oldest_age_ms", 0ull)),
           std::to_string(l.value("in_flight_batches", 0ull)),
           std::to_string(l.value("rtt_ms", 0ull)),
           std::to_string(l.value("last_heard_ms_ago", -1ll))});
  }
  t.print();
  for (const auto& l : s["links"]) {
    if (!l.value("outbox_capped", false)) continue;
    std::printf(tr("outbox toward %s passed its cap and was dropped: %s gets a catch-up re-send "
                   "when it returns (sync.outbox_bytes_max, sync.outbox_age_max_ms)\n"),
                l.value("peer", "").c_str(), l.value("peer", "").c_str());
  }
  const json& rejects = s["counters"]["rejects"];
  if (!rejects.empty()) std::printf(tr("rejected input: %s\n"), rejects.dump().c_str());
  // Waiting, not refused: missing_parent, and key_in_use_elsewhere (this node's key signed
  // elsewhere, issue 25), which docs/SECURITY.md says what to do about.
  const json held = s["counters"].value("held", json::object());
  if (!held.empty()) std::printf(tr("input held back: %s\n"), held.dump().c_str());
  if (held.value("key_in_use_elsewhere", 0ull) > 0) {
    std::printf("%s", tr("WARNING: events signed with this node's key arrived that this node never "
                         "signed: its key is in use elsewhere. Stop the other holder of the key, make a "
                         "new key and have the district enroll this node again with it "
                         "(docs/SECURITY.md).\n"));
  }
  print_penalty(s);
  print_webhooks(s.value("webhooks", json::array()));
  std::string refused;
  // Bound first: items() of the temporary value() returns would outlive it (it crashed here).
  const json api_refused = s.value("api_refused", json::object());
  for (const auto& [reason, n] : api_refused.items()) {
    if (n.get<std::uint64_t>() > 0) refused += (refused.empty() ? "" : ", ") + reason + " " + n.dump();
  }
  if (!refused.empty()) std::printf(tr("API requests refused: %s\n"), refused.c_str());
  if (s.value("api_bad_token_bursts", 0ull) > 0) {
    std::printf(tr("SECURITY: %llu burst(s) of wrong API tokens (see the node's log)\n"),
                s.value("api_bad_token_bursts", 0ull));
  }
  if (s.value("api_errors", 0ull) > 0) {
    std::printf(tr("API requests that failed with an internal error: %llu (see the node's log)\n"),
                s.value("api_errors", 0ull));
  }
  return 0;
}

std::string exe_dir(const char* argv0) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) p = std::filesystem::absolute(argv0);
  return p.parent_path().string();
}

bool wants_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& a) { return a == "--help" || a == "-h"; });
}

int dispatch(Cli& cli, const std::string& cmd, const char* argv0);

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!valid_utf8(a)) {
      // JSON cannot carry it, and a clerk's terminal in another encoding would store garbage.
      return usage_error(cli, "argument " + std::to_string(i) +
                                  " is not UTF-8 text (bad byte at offset " +
                                  std::to_string(utf8_error_offset(a)) +
                                  "); set the terminal to UTF-8, e.g. LANG=zh_CN.UTF-8");
    }
    if (a == "--config" && i + 1 < argc) {
      cli.config = argv[++i];
    } else if (a == "--api" && i + 1 < argc) {
      cli.api = argv[++i];
    } else if (a == "--token-file" && i + 1 < argc) {
      cli.token_file = argv[++i];
    } else if (a == "--json") {
      cli.as_json = true;
    } else {
      cli.args.push_back(a);
    }
  }
  // --json answers for scripts: English, like its keys and values.
  use_language(cli.as_json ? UiLanguage::kEnglish : language_from_env(), exe_dir(argv[0]));
  if (cli.args.empty()) return usage_error(cli, tr("missing COMMAND"));
  const std::string cmd = cli.args[0];
  cli.args.erase(cli.args.begin());
  cli.topic = help_topic(cmd, cli.args);
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    // `help`, `help --help`: everything; `help case show`: that command.
    const bool all = cli.args.empty() || cli.args[0] == "--help" || cli.args[0] == "-h";
    const std::string topic = all ? "" : help_topic(cli.args[0], {cli.args.begin() + 1, cli.args.end()});
    if (!all && topic.empty()) return usage_error(cli, tr("unknown command ") + cli.args[0]);
    print_help(topic);
    return kExitOk;
  }
  // The testbed has its own help; every other command's --help is its own entries (exit 0).
  if (cmd != "testbed" && wants_help(cli.args)) {
    if (cli.topic.empty()) return usage_error(cli, tr("unknown command ") + cmd);
    print_help(cli.topic);
    return kExitOk;
  }
  return dispatch(cli, cmd, argv[0]);
}

namespace {

int dispatch(Cli& cli, const std::string& cmd, const char* argv0) {
  if (cmd == "keygen") return cmd_keygen(cli);
  if (cmd == "config" && !cli.args.empty() && cli.args[0] == "check") {
    cli.args.erase(cli.args.begin());
    return cmd_config_check(cli);
  }
  if (cmd == "case") return cmd_case(cli);
  if (cmd == "cases") return cmd_cases(cli);
  if (cmd == "webhook") return cmd_webhook(cli);
  if (cmd == "status") return cmd_status(cli);
  if (cmd == "matters") {
    return !cli.args.empty() && cli.args[0] == "import" ? cmd_matters_import(cli) : cmd_matters(cli);
  }
  if (cmd == "policy") return cmd_policy(cli);
  if (cmd == "conflicts") return cmd_conflicts(cli);
  if (cmd == "import") return cmd_import(cli);
  if (cmd == "stalled") return cmd_stalled(cli);
  if (cmd == "backup") return cmd_backup(cli);
  if (cmd == "restore") return cmd_restore(cli);
  if (cmd == "root" || cmd == "roster" || cmd == "enroll" || cmd == "revoke") {
    // Approve, revoke and push hand the roster to a node when one is named (enroll request
    // reads --config as the new node's own).
    const bool to_node = !cli.api.empty() || (!cli.config.empty() &&
                                              (cmd != "enroll" || (!cli.args.empty() &&
                                                                   cli.args[0] == "approve")));
    std::optional<ApiClient> node;
    if (to_node) {
      auto c = ApiClient::from_options(cli.api, cli.config, cli.token_file);
      if (!c.is_ok()) return fail(cli, c.status());
      node = std::move(*c);
    }
    std::vector<std::string> args{cmd};
    args.insert(args.end(), cli.args.begin(), cli.args.end());
    return trust_main(args, node ? &*node : nullptr, cli.config);
  }
  if (cmd == "health") {
    auto client = ApiClient::from_options(cli.api, cli.config, cli.token_file);
    REJECT_LEFTOVER_FLAGS(cli, "health");
    if (!client.is_ok()) return fail(cli, client.status());
    return cmd_health(*client, cli.as_json);
  }
  if (cmd == "security-alert") return cmd_security_alert(cli);
  if (cmd == "stats") return cmd_stats(cli);
  if (cmd == "clerk") return cmd_clerk(cli);
  if (cmd == "admin-token") return cmd_admin_token(cli);
  if (cmd == "calendar") return cmd_calendar(cli);
  if (cmd == "testbed") {
    if (cli.as_json) cli.args.push_back("--json");
    return testbed_main(cli.args, exe_dir(argv0));
  }
  return usage_error(cli, tr("unknown command ") + cmd);
}

}  // namespace
