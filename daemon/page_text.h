// The pages casesyncd serves, in the reader's language (issue 17): Simplified Chinese by default,
// English with ?lang=en. A page is a template whose strings come from the same catalogue as the
// CLI's (po/zh_CN.po, common/translate.h); English is the msgid itself:
//   {{ t("Nodes") }}   that text, translated and HTML-escaped (the page's fixed markup)
//   {{lang}}           the page's language tag (zh-CN or en), for <html lang>
//   {{other_lang}}     the ?lang= value of the toggle (en on the Chinese page, zh on the English)
//   {{other_lang_name}}  the toggle's text (English / 中文)
//   /*PAGE_COMMON*/    the script every page shares (daemon/page_common.js: t(), el(), the token)
//   /*CATALOG*/null    the catalogue as a JSON object msgid -> text (null in English), so the
//                      page's script translates what it builds with t("...")
// scripts/extract_messages.py finds every t("...") of the pages and the shared script.
#pragma once

#include <string>
#include <string_view>

#include "common/message_catalog.h"
#include "common/translate.h"

namespace casesync {

// `text` safe inside HTML text and attribute values (& < > " ').
std::string html_escape(std::string_view text);

std::string render_page(std::string_view page, std::string_view shared_script, UiLanguage language,
                        const MessageCatalog& chinese);

// A page rendered once per language at start (the catalogue does not change while running).
struct RenderedPage {
  std::string chinese;
  std::string english;
  const std::string& in(UiLanguage language) const {
    return language == UiLanguage::kEnglish ? english : chinese;
  }
};
RenderedPage render_both(std::string_view page, std::string_view shared_script,
                         const MessageCatalog& chinese);

// The Chinese catalogue the daemon's pages use, found beside the running binary
// (common/translate.h: catalog_paths); empty (English) when none is installed.
const MessageCatalog& daemon_catalog();

}  // namespace casesync
