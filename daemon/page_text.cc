#include "daemon/page_text.h"

#include <nlohmann/json.hpp>

namespace casesync {

namespace {

constexpr std::string_view kCallOpen = "{{ t(\"";
constexpr std::string_view kCallClose = "\") }}";
constexpr std::string_view kCatalogSlot = "/*CATALOG*/null";
constexpr std::string_view kSharedSlot = "/*PAGE_COMMON*/";

// The msgid of a {{ t("...") }}: the page writes it as a JSON string (\" and \\ escaped).
std::string msgid_of(std::string_view literal) {
  auto parsed = nlohmann::json::parse("\"" + std::string(literal) + "\"", nullptr, false);
  return parsed.is_string() ? parsed.get<std::string>() : std::string(literal);
}

std::string catalog_json(UiLanguage language, const MessageCatalog& chinese) {
  if (language == UiLanguage::kEnglish) return "null";
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [id, text] : chinese.entries()) j[id] = text;
  std::string out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // "</script>" inside a string would end the page's script early.
  for (std::size_t at = out.find("</"); at != std::string::npos; at = out.find("</", at + 3)) {
    out.replace(at, 2, "<\\/");
  }
  return out;
}

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_page(std::string_view page, std::string_view shared_script, UiLanguage language,
                        const MessageCatalog& chinese) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t open = page.find(kCallOpen, at);
    const std::size_t close = open == std::string_view::npos ? open : page.find(kCallClose, open);
    if (close == std::string_view::npos) break;
    out += page.substr(at, open - at);
    const std::string id = msgid_of(page.substr(open + kCallOpen.size(), close - open - kCallOpen.size()));
    const std::string* text = language == UiLanguage::kEnglish ? nullptr : chinese.find(id);
    out += html_escape(text ? *text : id);
    at = close + kCallClose.size();
  }
  out += page.substr(at);
  const bool english = language == UiLanguage::kEnglish;
  replace_all(out, "{{lang}}", english ? "en" : "zh-CN");
  replace_all(out, "{{other_lang}}", english ? "zh" : "en");
  replace_all(out, "{{other_lang_name}}", english ? "中文" : "English");
  replace_all(out, kSharedSlot, std::string(shared_script));  // before the catalogue: it holds the slot
  replace_all(out, kCatalogSlot, catalog_json(language, chinese));
  return out;
}

RenderedPage render_both(std::string_view page, std::string_view shared_script,
                         const MessageCatalog& chinese) {
  return {render_page(page, shared_script, UiLanguage::kChinese, chinese),
          render_page(page, shared_script, UiLanguage::kEnglish, chinese)};
}

const MessageCatalog& daemon_catalog() { return installed_chinese_catalog(); }

}  // namespace casesync
