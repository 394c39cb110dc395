#include "common/message_catalog.h"

#include <cstdint>
#include <fstream>
#include <iterator>

namespace casesync {

namespace {

// The .mo header: magic, revision, N strings, offset of the msgid table, offset of the
// translation table; each table holds N (length, offset) pairs (GNU gettext manual, "MO Files").
constexpr std::uint32_t kMagic = 0x950412de;
constexpr std::uint32_t kMagicSwapped = 0xde120495;
constexpr std::size_t kHeaderBytes = 20;
// A catalogue of casesync's few hundred messages is far below this; anything larger is not one.
constexpr std::uint32_t kMaxStrings = 1u << 20;

std::uint32_t read_u32(std::string_view bytes, std::size_t at, bool swapped) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto byte = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i]));
    v |= swapped ? byte << (8 * (3 - i)) : byte << (8 * i);
  }
  return v;
}

// The string of table entry `i`, or false when it points outside the file.
bool string_at(std::string_view bytes, std::uint32_t table, std::uint32_t i, bool swapped,
               std::string_view* out) {
  const std::size_t entry = std::size_t{table} + std::size_t{i} * 8;
  if (entry + 8 > bytes.size()) return false;
  const std::size_t length = read_u32(bytes, entry, swapped);
  const std::size_t offset = read_u32(bytes, entry + 4, swapped);
  if (offset > bytes.size() || length > bytes.size() - offset) return false;
  *out = bytes.substr(offset, length);
  return true;
}

}  // namespace

Result<MessageCatalog> MessageCatalog::parse(std::string_view bytes, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Status::error(Code::kCorruption, name + ": not a gettext .mo file (" + why +
                                                "); rebuild it with msgfmt from po/");
  };
  if (bytes.size() < kHeaderBytes) return bad("too short");
  const std::uint32_t magic = read_u32(bytes, 0, false);
  if (magic != kMagic && magic != kMagicSwapped) return bad("wrong magic number");
  const bool swapped = magic == kMagicSwapped;
  const std::uint32_t count = read_u32(bytes, 8, swapped);
  if (count > kMaxStrings) return bad("too many strings");
  const std::uint32_t ids = read_u32(bytes, 12, swapped);
  const std::uint32_t texts = read_u32(bytes, 16, swapped);
  MessageCatalog catalog;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string_view id, text;
    if (!string_at(bytes, ids, i, swapped, &id) || !string_at(bytes, texts, i, swapped, &text)) {
      return bad("string " + std::to_string(i) + " lies outside the file");
    }
    if (id.empty() || text.empty()) continue;  // the header, or an untranslated entry
    catalog.entries_.emplace(std::string(id), std::string(text));
  }
  return catalog;
}

Result<MessageCatalog> MessageCatalog::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(Code::kNotFound, path + ": cannot read");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(bytes, path);
}

const std::string* MessageCatalog::find(std::string_view msgid) const {
  auto it = entries_.find(std::string(msgid));
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace casesync
