// Proves a Text renders in either language from one value: arguments substituted in order or by
// position, nested Texts translated too, verbatim text and layout punctuation never translated.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "common/status.h"
#include "common/text.h"
#include "common/translate.h"

using namespace casesync;

TEST_CASE("substitute: in order, by position, %% and a directive without its argument") {
  CHECK(substitute("a %s b %s", {"1", "2"}) == "a 1 b 2");
  CHECK(substitute("%2$s then %1$s", {"1", "2"}) == "2 then 1");
  CHECK(substitute("100%% of %s", {"x"}) == "100% of x");
  CHECK(substitute("%s and %s", {"only"}) == "only and %s");
  CHECK(substitute("50%", {}) == "50%");
}

TEST_CASE("a message, its arguments and a layout render; English is the msgid") {
  const Text t = ui_text("unknown case %s (node %s)", std::string("c-1"), 7);
  CHECK(t.english() == "unknown case c-1 (node 7)");
  CHECK(t.msgid() == "unknown case %s (node %s)");
  const Text line = Text::layout("%s: %s", {Text("x.toml:3"), t});
  CHECK(line.english() == "x.toml:3: unknown case c-1 (node 7)");
  CHECK(line.msgid().empty());
  CHECK(Text::join({Text("a"), Text("b%")}, "\n").english() == "a\nb%");
  // Verbatim text with a % is shown as is, not read as a directive.
  CHECK(Text(std::string("100%s")).render(UiLanguage::kChinese) == "100%s");
}

TEST_CASE("a Status keeps its Text through with_context; message() is the English") {
  const Status st = Status::error(Code::kInvalidArgument, ui_text("%s is out of range", "n"))
                        .with_context("f.toml");
  CHECK(st.message() == "f.toml: n is out of range");
  CHECK(st.text().english() == st.message());
}

TEST_CASE("Accept-Language: English only when it outweighs Chinese") {
  CHECK(language_from_accept("en") == UiLanguage::kEnglish);
  CHECK(language_from_accept("en-US,en;q=0.9") == UiLanguage::kEnglish);
  CHECK(language_from_accept("zh-CN,zh;q=0.9,en;q=0.8") == UiLanguage::kChinese);
  CHECK(language_from_accept("zh;q=0.5, EN-gb;q=0.7") == UiLanguage::kEnglish);
  CHECK(language_from_accept("") == UiLanguage::kChinese);
  CHECK(language_from_accept("fr, de") == UiLanguage::kChinese);
}
