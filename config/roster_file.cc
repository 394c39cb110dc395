#include "config/roster_file.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "config/toml_errors.h"

namespace casesync {
namespace {

constexpr std::string_view kTopKeys[] = {"version", "node"};
constexpr std::string_view kNodeKeys[] = {
    "id",       "name", "role",   "parent", "fallback_parents", "sign_public_key",
    "endpoint", "api",  "revoked"};
constexpr std::size_t kPublicKeyBytes = 32;  // Ed25519

// One [[node]] as read, kept with its table so the tree checks, which run after every node is
// read, can still point at the right line.
struct Entry {
  RosterNode node;
  bool has_parent = false;  // `parent` was present and a string ("" then means root)
  bool role_known = false;  // `role` was present and named a role
  const toml::table* table = nullptr;
  std::string prefix;  // "node[3]"
};

void read_public_key(TableReader& reader, RosterNode& node) {
  auto hex = reader.string("sign_public_key", Presence::kRequired);
  if (!hex) return;
  std::optional<std::string> bytes = from_hex(*hex);
  if (hex->size() != 2 * kPublicKeyBytes || !bytes) {
    reader.error("sign_public_key", in_quotes(*hex) + " is not a public key (expected " +
                                        std::to_string(2 * kPublicKeyBytes) + " hex characters, " +
                                        std::to_string(kPublicKeyBytes) + " bytes; found " +
                                        std::to_string(hex->size()) + " characters)");
    return;
  }
  node.sign_public_key = *bytes;
}

void read_entry(TableReader reader, Entry& entry) {
  RosterNode& node = entry.node;
  reader.allow_only(kNodeKeys);
  if (auto id = reader.string("id", Presence::kRequired)) {
    if (auto problem = node_id_problem(*id)) reader.error("id", *problem);
    node.id = *id;
  }
  node.name = reader.string("name", Presence::kOptional).value_or("");
  if (auto name = reader.string("role", Presence::kRequired)) {
    auto role = role_from_name(*name);
    entry.role_known = role.has_value();
    if (role) node.role = *role;
    if (!role) reader.error("role", not_a_role(*name));
  }
  if (auto parent = reader.string("parent", Presence::kRequired)) {
    node.parent = *parent;
    entry.has_parent = true;
  }
  node.fallback_parents =
      reader.strings("fallback_parents", Presence::kOptional).value_or(std::vector<std::string>{});
  read_public_key(reader, node);
  if (auto endpoint = reader.string("endpoint", Presence::kOptional)) {
    if (auto problem = endpoint_problem(*endpoint)) reader.error("endpoint", *problem);
    node.endpoint = *endpoint;
  }
  node.api = reader.string("api", Presence::kOptional).value_or("");
  node.revoked = reader.boolean("revoked").value_or(false);
}

std::vector<Entry> read_entries(TableReader& top) {
  std::vector<Entry> entries;
  const toml::node* nodes = top.node("node");
  if (nodes == nullptr) {
    top.errors().missing("node", "(one [[node]] table per node)");
    return entries;
  }
  if (!nodes->is_array()) {
    top.error("node", ui_text("expected %s, found %s", ui_text("an array of tables ([[node]])"),
                              toml_type_name(nodes->type())));
    return entries;
  }
  const toml::array& array = *nodes->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string prefix = "node[" + std::to_string(i) + "]";
    const toml::table* table = array[i].as_table();
    if (table == nullptr) {
      top.error_at(&array[i], prefix,
                   ui_text("expected %s, found %s", toml_type_name(toml::node_type::table),
                           toml_type_name(array[i].type())));
      continue;
    }
    Entry entry;
    entry.table = table;
    entry.prefix = prefix;
    read_entry(TableReader(*table, prefix, top.errors()), entry);
    entries.push_back(std::move(entry));
  }
  return entries;
}

TableReader reader_for(const Entry& entry, TomlErrors& errors) {
  return TableReader(*entry.table, entry.prefix, errors);
}

// Ids name nodes in parents, routes and event origins; two nodes with one id would split them.
std::map<std::string, const Entry*> index_ids(const std::vector<Entry>& entries,
                                              TomlErrors& errors) {
  std::map<std::string, const Entry*> by_id;
  for (const Entry& entry : entries) {
    if (entry.node.id.empty()) continue;  // missing id, already reported
    auto [it, inserted] = by_id.emplace(entry.node.id, &entry);
    if (!inserted) {
      reader_for(entry, errors)
          .error("id", in_quotes(entry.node.id) + " is already used by " + it->second->prefix +
                           " (ids must be unique)");
    }
  }
  return by_id;
}

bool is_root(const Entry& entry) { return entry.has_parent && entry.node.parent.empty(); }
bool is_district(const Entry& entry) {
  return entry.role_known && entry.node.role == Role::kDistrict;
}

// Exactly one root, and it is the district: every event's path up the tree ends there. When
// several nodes claim the root, a district among them is taken as the real one.
void check_root(const std::vector<Entry>& entries, TomlErrors& errors) {
  const Entry* root = nullptr;
  for (const Entry& entry : entries) {
    if (is_root(entry) && (root == nullptr || (is_district(entry) && !is_district(*root)))) {
      root = &entry;
    }
  }
  if (root == nullptr) {
    if (!entries.empty()) {
      errors.add(nullptr, "node",
                 "no node has an empty parent (exactly one root, the district, is required)");
    }
    return;
  }
  if (root->role_known && !is_district(*root)) {
    reader_for(*root, errors)
        .error("role", "the root (empty parent) must have role district, found " +
                           std::string(role_name(root->node.role)));
  }
  for (const Entry& entry : entries) {
    if (!is_root(entry) || &entry == root) continue;
    reader_for(entry, errors)
        .error("parent", "empty, but " + root->prefix + " (" + in_quotes(root->node.id) +
                             ") is already the root (exactly one node may have an empty parent)");
  }
}

void check_references(const std::vector<Entry>& entries,
                      const std::map<std::string, const Entry*>& by_id, TomlErrors& errors) {
  for (const Entry& entry : entries) {
    TableReader reader = reader_for(entry, errors);
    const std::string& parent = entry.node.parent;
    if (!parent.empty() && !by_id.contains(parent)) {
      reader.error("parent", in_quotes(parent) + " is not a node in this roster");
    }
    const auto& fallbacks = entry.node.fallback_parents;
    for (std::size_t i = 0; i < fallbacks.size(); ++i) {
      std::string key = "fallback_parents[" + std::to_string(i) + "]";
      const toml::node* where = reader.element("fallback_parents", i);
      if (!by_id.contains(fallbacks[i])) {
        reader.error_at(where, key, in_quotes(fallbacks[i]) + " is not a node in this roster");
      } else if (fallbacks[i] == entry.node.id) {
        reader.error_at(where, key, "a node cannot be its own fallback parent");
      }
    }
  }
}

// Walks every parent chain once; a chain that meets itself is reported once, at the node where
// the walk entered the loop.
void check_cycles(const std::vector<Entry>& entries,
                  const std::map<std::string, const Entry*>& by_id, TomlErrors& errors) {
  enum class Mark { kOpen, kOnPath, kDone };
  std::map<const Entry*, Mark> marks;
  for (const Entry& start : entries) {
    std::vector<const Entry*> path;
    const Entry* at = &start;
    while (at != nullptr && marks[at] == Mark::kOpen) {
      marks[at] = Mark::kOnPath;
      path.push_back(at);
      auto parent = by_id.find(at->node.parent);
      at = parent == by_id.end() ? nullptr : parent->second;
    }
    if (at != nullptr && marks[at] == Mark::kOnPath) {
      std::string chain = at->node.id;
      auto loop = std::find(path.begin(), path.end(), at);
      for (auto it = loop + 1; it != path.end(); ++it) chain += " -> " + (*it)->node.id;
      reader_for(*at, errors)
          .error("parent", "cycle " + chain + " -> " + at->node.id +
                               " (every parent chain must end at the district)");
    }
    for (const Entry* entry : path) marks[entry] = Mark::kDone;
  }
}

// A fallback inside the node's own subtree would make the node its own ancestor on failover.
void check_fallbacks_above(const std::vector<Entry>& entries, const Roster& roster,
                           TomlErrors& errors) {
  for (const Entry& entry : entries) {
    const auto& fallbacks = entry.node.fallback_parents;
    for (std::size_t i = 0; i < fallbacks.size(); ++i) {
      if (fallbacks[i] == entry.node.id || !roster.in_subtree(fallbacks[i], entry.node.id))
        continue;
      TableReader reader = reader_for(entry, errors);
      reader.error_at(reader.element("fallback_parents", i),
                      "fallback_parents[" + std::to_string(i) + "]",
                      in_quotes(fallbacks[i]) + " lies below " + in_quotes(entry.node.id) +
                          " (a fallback parent must not be a descendant)");
    }
  }
}

void read_version(TableReader& top, Roster& roster) {
  auto version = top.integer("version", Presence::kRequired);
  if (!version) return;
  if (*version < 1) {
    top.error("version", std::to_string(*version) + " is out of range (1 or more)");
    return;
  }
  roster.version = static_cast<std::uint64_t>(*version);
}

}  // namespace

Result<Roster> parse_roster(const std::string& text, const std::string& source_name) {
  ASSIGN_OR_RETURN(toml::table root, parse_toml(text, source_name));
  TomlErrors errors(source_name);
  TableReader top(root, "", errors);
  top.allow_only(kTopKeys);
  Roster roster;
  read_version(top, roster);
  std::vector<Entry> entries = read_entries(top);
  auto by_id = index_ids(entries, errors);
  check_root(entries, errors);
  check_references(entries, by_id, errors);
  check_cycles(entries, by_id, errors);
  RETURN_IF_ERROR(errors.to_status());
  // Only a well-formed tree can answer subtree questions, so this check comes last.
  for (const Entry& entry : entries) roster.add(entry.node);
  check_fallbacks_above(entries, roster, errors);
  RETURN_IF_ERROR(errors.to_status());
  return roster;
}

Result<Roster> load_roster(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, read_text_file(path, "roster file"));
  return parse_roster(text, path);
}

std::string render_roster(const Roster& roster) {
  std::string out = "version = " + std::to_string(roster.version) + "\n";
  for (const auto& [id, node] : roster.nodes()) {
    out += "\n[[node]]\n";
    out += "id = " + toml_quote(node.id) + "\n";
    out += "name = " + toml_quote(node.name) + "\n";
    out += "role = " + toml_quote(role_name(node.role)) + "\n";
    out += "parent = " + toml_quote(node.parent) + "\n";
    std::string fallbacks;
    for (const auto& fallback : node.fallback_parents) {
      fallbacks += (fallbacks.empty() ? "" : ", ") + toml_quote(fallback);
    }
    out += "fallback_parents = [" + fallbacks + "]\n";
    out += "sign_public_key = " + toml_quote(to_hex(node.sign_public_key)) + "\n";
    if (!node.endpoint.empty()) out += "endpoint = " + toml_quote(node.endpoint) + "\n";
    if (!node.api.empty()) out += "api = " + toml_quote(node.api) + "\n";
    if (node.revoked) out += "revoked = true\n";
  }
  return out;
}

}  // namespace casesync
