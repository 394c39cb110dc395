#include "daemon/clerk_book.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "crypto/crypto.h"
#include "crypto/key_file.h"
#include "crypto/token_hash.h"
#include "daemon/api_token.h"
#include "sync/limits.h"

namespace casesync {

namespace {

using nlohmann::json;

constexpr int kFileVersion = 1;
constexpr std::size_t kClerksFileBytesMax = 1u << 20;  // kClerksMax clerks fit with room to spare

bool one_line(const std::string& text) {
  if (text.empty() || !valid_utf8(text) || utf8_chars(text) > limits::kActorNameCharsMax) {
    return false;
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

Result<Clerk> clerk_from_json(const json& j, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return Status::error(Code::kCorruption, where + ": " + what +
                                                "; restore clerks.json from a copy or remove it "
                                                "and add the clerks again");
  };
  if (!j.is_object()) return bad("not an object");
  Clerk c;
  c.id = j.value("id", "");
  c.name = j.value("name", "");
  const auto role = clerk_role_from_name(j.value("role", ""));
  c.token_hash = j.value("token_hash", "");
  c.disabled = j.value("disabled", false);
  c.created_ms = j.value("created_ms", std::uint64_t{0});
  if (!valid_clerk_id(c.id)) return bad("bad clerk id \"" + c.id + "\"");
  if (!one_line(c.name)) return bad("clerk " + c.id + " has no name");
  if (!role) return bad("clerk " + c.id + " has no valid role");
  if (!crypto::is_token_hash(c.token_hash)) return bad("clerk " + c.id + " has no token hash");
  c.role = *role;
  return c;
}

json clerk_to_json(const Clerk& c) {
  return {{"id", c.id},          {"name", c.name},         {"role", clerk_role_name(c.role)},
          {"token_hash", c.token_hash}, {"disabled", c.disabled}, {"created_ms", c.created_ms}};
}

Status invalid(Text message) { return Status::error(Code::kInvalidArgument, std::move(message)); }

}  // namespace

ClerkBook::ClerkBook(std::string clerks_path, std::string admin_token_path)
    : clerks_path_(std::move(clerks_path)),
      admin_token_path_(std::move(admin_token_path)),
      digest_key_(crypto::random_bytes(crypto::kMacKeyBytes)) {}

Result<std::unique_ptr<ClerkBook>> ClerkBook::open(std::string clerks_path,
                                                   std::string admin_token_path) {
  std::unique_ptr<ClerkBook> book(new ClerkBook(std::move(clerks_path), std::move(admin_token_path)));
  RETURN_IF_ERROR(book->load());
  RETURN_IF_ERROR(book->reload_admin_token());
  return book;
}

Status ClerkBook::load() {
  std::vector<char> buf(kClerksFileBytesMax + 1);
  std::size_t size = 0;
  Status st = crypto::key_file::read_line(clerks_path_, crypto::key_file::Secret::kYes, "", buf, &size);
  if (st.code() == Code::kNotFound) return Status::ok();  // no clerks yet
  RETURN_IF_ERROR(st);
  const json doc = json::parse(buf.begin(), buf.begin() + static_cast<long>(size), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("version", 0) != kFileVersion ||
      !doc.contains("clerks") || !doc["clerks"].is_array()) {
    return Status::error(Code::kCorruption,
                         clerks_path_ + ": not a clerks file of version " +
                             std::to_string(kFileVersion) + "; restore it from a copy");
  }
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < doc["clerks"].size(); ++i) {
    ASSIGN_OR_RETURN(Clerk c, clerk_from_json(doc["clerks"][i],
                                              clerks_path_ + ": clerks[" + std::to_string(i) + "]"));
    c.generation = ++generation_;
    clerks_.push_back(std::move(c));
  }
  return Status::ok();
}

Status ClerkBook::save_locked() const {
  json list = json::array();
  for (const auto& c : clerks_) list.push_back(clerk_to_json(c));
  const std::string text = json{{"version", kFileVersion}, {"clerks", list}}.dump(1) + "\n";
  return crypto::key_file::replace(clerks_path_, text, 0600);
}

Status ClerkBook::reload_admin_token() {
  std::array<char, kTokenBytesMax + 3> buf{};
  std::size_t size = 0;
  Status st = crypto::key_file::read_line(admin_token_path_, crypto::key_file::Secret::kShared, "",
                                          buf, &size);
  std::optional<Hash32> digest;
  if (st.is_ok()) {
    const std::string_view token(buf.data(), size);
    if (token_clerk_id(token) != std::string(kAdminClerkId)) {
      st = Status::error(Code::kCorruption,
                         admin_token_path_ + ": not an admin token (one line csk_admin_<48 hex>); "
                                             "write a new one with `casesyncctl admin-token new`");
    } else {
      digest = crypto::keyed_hash(digest_key_, token);
    }
  }
  sodium_memzero(buf.data(), buf.size());
  if (st.code() == Code::kNotFound) st = Status::ok();  // no admin: the caller warns
  if (!st.is_ok()) return st;
  std::lock_guard lock(mu_);
  admin_digest_ = digest;
  ++generation_;
  return Status::ok();
}

bool ClerkBook::is_admin_token(std::string_view token) const {
  const Hash32 presented = crypto::keyed_hash(digest_key_, token);
  std::lock_guard lock(mu_);
  if (!admin_digest_) return false;
  return sodium_memcmp(presented.data(), admin_digest_->data(), presented.size()) == 0;
}

bool ClerkBook::has_admin_token() const {
  std::lock_guard lock(mu_);
  return admin_digest_.has_value();
}

std::optional<Clerk> ClerkBook::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  if (id == kAdminClerkId) {
    if (!admin_digest_) return std::nullopt;
    Clerk admin{std::string(kAdminClerkId), "administrator", ClerkRole::kAdmin, "", false, 0,
                generation_};
    return admin;
  }
  for (const auto& c : clerks_) {
    if (c.id == id) return c;
  }
  return std::nullopt;
}

std::vector<Clerk> ClerkBook::list() const {
  std::lock_guard lock(mu_);
  return clerks_;
}

Result<Clerk> ClerkBook::add(const std::string& id, const std::string& name, ClerkRole role,
                             std::string token_hash, std::uint64_t now_ms) {
  if (!valid_clerk_id(id)) {
    return invalid(ui_text("\"%s\" is not a clerk id (1..%s of a-z 0-9 - .)", id,
                           limits::kActorIdBytesMax));
  }
  if (id == kAdminClerkId) {
    return invalid(ui_text("\"admin\" is the built-in administrator (admin.token)"));
  }
  if (!one_line(name)) {
    return invalid(ui_text("a clerk's name is one line of 1..%s characters",
                           limits::kActorNameCharsMax));
  }
  std::lock_guard lock(mu_);
  for (const auto& c : clerks_) {
    if (c.id == id) {
      return invalid(c.disabled ? ui_text("clerk %s exists (disabled); events name clerks by id, "
                                          "so choose another",
                                          id)
                                : ui_text("clerk %s exists; events name clerks by id, so choose "
                                          "another",
                                          id));
    }
  }
  if (clerks_.size() >= kClerksMax) {
    return invalid(ui_text("this node has %s clerks, the most it keeps", kClerksMax));
  }
  Clerk c{id, name, role, std::move(token_hash), false, now_ms, ++generation_};
  clerks_.push_back(c);
  if (Status st = save_locked(); !st.is_ok()) {
    clerks_.pop_back();
    return st;
  }
  return c;
}

Result<Clerk> ClerkBook::disable(const std::string& id) {
  std::lock_guard lock(mu_);
  for (auto& c : clerks_) {
    if (c.id != id) continue;
    const bool was = c.disabled;
    c.disabled = true;
    c.generation = ++generation_;
    if (Status st = save_locked(); !st.is_ok()) {
      c.disabled = was;
      return st;
    }
    return c;
  }
  return Status::error(Code::kNotFound,
                       ui_text("no clerk %s at this node (`casesyncctl clerk list`)", id));
}

}  // namespace casesync
