// ClerkBook: the clerks of this node — who may use its local API, under which role. Per node,
// never replicated: a clerk signs in at the node they work at, and the events they author name
// them (sync/actor.h) wherever the events go.
//
// Clerks live in <data_dir>/clerks.json (0600, replaced atomically), each token only as an
// Argon2id hash (crypto/token_hash.h). Not in the database: restoring a backup must not bring
// back a clerk disabled since. Disabling is immediate and final for that token (add the clerk
// again, under another id, for a new one).
//
// The node's administrator is the built-in clerk "admin": its token is the one line of
// api.admin_token (default admin.token beside the config, 0640 root:casesync, written by the
// package or `casesyncctl testbed init`), read at start and at SIGHUP. That file is the token
// casesyncctl uses; the daemon keeps only a keyed digest of it in memory.
//
// Thread-safe: API threads read it while an admin's request changes it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "sync/actor.h"

namespace casesync {

inline constexpr std::string_view kAdminClerkId = "admin";
inline constexpr std::size_t kClerksMax = 1000;  // a community has a handful; a district, dozens

struct Clerk {
  std::string id;
  std::string name;
  ClerkRole role = ClerkRole::kWindow;
  std::string token_hash;  // crypto::hash_token(); empty for the built-in admin
  bool disabled = false;
  std::uint64_t created_ms = 0;
  std::uint64_t generation = 0;  // changes whenever the clerk does: cached verdicts expire
  Actor actor() const { return {id, name, clerk_role_name(role)}; }
};

class ClerkBook {
 public:
  // Loads `clerks_path` (absent: no clerks yet) and the admin token file (absent: no admin;
  // logged by the caller). Refuses a clerks file that is not owner-only or not valid.
  static Result<std::unique_ptr<ClerkBook>> open(std::string clerks_path,
                                                 std::string admin_token_path);

  std::optional<Clerk> find(const std::string& id) const;
  std::vector<Clerk> list() const;
  // Constant time in the token: true when it is the admin token.
  bool is_admin_token(std::string_view token) const;
  bool has_admin_token() const;
  const std::string& admin_token_path() const { return admin_token_path_; }

  // Adds a clerk whose token hashes to `token_hash`, and persists the book. kInvalidArgument
  // for a bad or reserved id, a name that is empty or not one line, an id already used (even by
  // a disabled clerk: events name it), or a full book.
  Result<Clerk> add(const std::string& id, const std::string& name, ClerkRole role,
                    std::string token_hash, std::uint64_t now_ms);
  // kNotFound for an unknown id; disabling twice is fine.
  Result<Clerk> disable(const std::string& id);
  // Reads the admin token file again (SIGHUP); a missing file removes the admin.
  Status reload_admin_token();

 private:
  ClerkBook(std::string clerks_path, std::string admin_token_path);
  Status load();
  Status save_locked() const;

  const std::string clerks_path_;
  const std::string admin_token_path_;
  const std::string digest_key_;  // random per process: the admin digest means nothing outside
  mutable std::mutex mu_;
  std::vector<Clerk> clerks_;
  std::optional<Hash32> admin_digest_;
  std::uint64_t generation_ = 0;
};

}  // namespace casesync
