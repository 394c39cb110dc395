// Proves a page template is filled in the reader's language: fixed text translated and escaped,
// the language tag and toggle, the catalogue for the script (null in English, no "</" inside).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "daemon/page_text.h"

using namespace casesync;

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// A two-entry .mo: "Nodes" -> 节点, "a<b" -> "甲</script>".
MessageCatalog two_entries() {
  const std::string ids[] = {"Nodes", "a<b"};
  const std::string texts[] = {"节点", "甲</script>"};
  std::string head, tables, strings;
  const std::uint32_t data = 28 + 32;
  for (const auto* list : {ids, texts}) {
    for (int i = 0; i < 2; ++i) {
      put_u32(tables, static_cast<std::uint32_t>(list[i].size()));
      put_u32(tables, data + static_cast<std::uint32_t>(strings.size()));
      strings += list[i] + '\0';
    }
  }
  for (std::uint32_t v : {0x950412deu, 0u, 2u, 28u, 44u, 0u, 0u}) put_u32(head, v);
  auto c = MessageCatalog::parse(head + tables + strings, "test.mo");
  REQUIRE(c.is_ok());
  return *c;
}

}  // namespace

TEST_CASE("fixed text in the reader's language, escaped; unknown text stays English") {
  const MessageCatalog zh = two_entries();
  const std::string page = R"(<html lang="{{lang}}"><h2>{{ t("Nodes") }}</h2><p>{{ t("a<b") }}</p>)"
                           R"(<i>{{ t("Other") }}</i><a href="?lang={{other_lang}}">{{other_lang_name}}</a>)";
  const std::string cn = render_page(page, "", UiLanguage::kChinese, zh);
  CHECK(cn.find(R"(<html lang="zh-CN">)") != std::string::npos);
  CHECK(cn.find("<h2>节点</h2>") != std::string::npos);
  CHECK(cn.find("<p>甲&lt;/script&gt;</p>") != std::string::npos);
  CHECK(cn.find("<i>Other</i>") != std::string::npos);
  CHECK(cn.find(R"(href="?lang=en">English</a>)") != std::string::npos);
  const std::string en = render_page(page, "", UiLanguage::kEnglish, zh);
  CHECK(en.find("<h2>Nodes</h2>") != std::string::npos);
  CHECK(en.find("<p>a&lt;b</p>") != std::string::npos);
  CHECK(en.find(R"(href="?lang=zh">中文</a>)") != std::string::npos);
}

TEST_CASE("the script's catalogue: JSON in Chinese, null in English, never closing the script") {
  const MessageCatalog zh = two_entries();
  const std::string page = "<script>/*PAGE_COMMON*/</script>";
  const std::string shared = "const CATALOG = /*CATALOG*/null;";
  const std::string cn = render_page(page, shared, UiLanguage::kChinese, zh);
  CHECK(cn.find(R"(const CATALOG = {)") != std::string::npos);
  CHECK(cn.find(R"("Nodes":"节点")") != std::string::npos);
  CHECK(cn.find("</script>") == cn.rfind("</script>"));  // only the page's own
  CHECK(cn.find(R"(甲<\/script>)") != std::string::npos);
  CHECK(render_page(page, shared, UiLanguage::kEnglish, zh) == "<script>const CATALOG = null;</script>");
  CHECK(render_both(page, shared, zh).in(UiLanguage::kEnglish) ==
        render_page(page, shared, UiLanguage::kEnglish, zh));
}
