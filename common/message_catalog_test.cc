// Proves the .mo reader finds translations in either byte order and refuses a file that is not
// a catalogue (short, wrong magic, strings outside the file) with an error naming it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "common/message_catalog.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace casesync;

namespace {

void put_u32(std::string& out, std::uint32_t v, bool big_endian) {
  for (int i = 0; i < 4; ++i) {
    const int shift = big_endian ? 8 * (3 - i) : 8 * i;
    out += static_cast<char>((v >> shift) & 0xFF);
  }
}

// A .mo as msgfmt lays it out: header, msgid table, translation table, then the strings.
std::string make_mo(const std::vector<std::pair<std::string, std::string>>& entries,
                    bool big_endian) {
  const auto n = static_cast<std::uint32_t>(entries.size());
  const std::uint32_t ids = 28, texts = ids + 8 * n;
  std::string head, strings;
  std::uint32_t at = texts + 8 * n;
  std::string id_table, text_table;
  for (const auto& [id, text] : entries) {
    put_u32(id_table, static_cast<std::uint32_t>(id.size()), big_endian);
    put_u32(id_table, at + static_cast<std::uint32_t>(strings.size()), big_endian);
    strings += id + '\0';
  }
  for (const auto& [id, text] : entries) {
    put_u32(text_table, static_cast<std::uint32_t>(text.size()), big_endian);
    put_u32(text_table, at + static_cast<std::uint32_t>(strings.size()), big_endian);
    strings += text + '\0';
  }
  for (std::uint32_t v : {0x950412deu, 0u, n, ids, texts, 0u, 0u}) put_u32(head, v, big_endian);
  return head + id_table + text_table + strings;
}

}  // namespace

TEST_CASE("a catalogue finds its translations in either byte order") {
  for (bool big : {false, true}) {
    const std::string mo = make_mo({{"", "Content-Type: text/plain; charset=UTF-8\n"},
                                    {"accepted", "已签收"},
                                    {"untranslated", ""}},
                                   big);
    auto c = MessageCatalog::parse(mo, "x.mo");
    REQUIRE(c.is_ok());
    REQUIRE(c->find("accepted") != nullptr);
    CHECK(*c->find("accepted") == "已签收");
    CHECK(c->find("untranslated") == nullptr);  // shown in English, not as ""
    CHECK(c->find("") == nullptr);              // the header is no message
    CHECK(c->entries().size() == 1);
  }
}

TEST_CASE("a file that is not a catalogue is an error naming it") {
  const std::string mo = make_mo({{"accepted", "已签收"}}, false);
  CHECK(MessageCatalog::parse(mo.substr(0, 10), "short.mo").status().message().find("short.mo") !=
        std::string::npos);
  std::string wrong = mo;
  wrong[0] = 'X';
  CHECK(!MessageCatalog::parse(wrong, "w.mo").is_ok());
  std::string outside = mo;
  outside[28 + 4] = static_cast<char>(0xFF);  // the first msgid's offset, far past the end
  outside[28 + 7] = static_cast<char>(0x7F);
  CHECK(!MessageCatalog::parse(outside, "o.mo").is_ok());
  CHECK(!MessageCatalog::load("/nonexistent/casesync.mo").is_ok());
}
