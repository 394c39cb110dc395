// Text: words for a person, kept as an English message id and its arguments until they are
// shown, so one error or health reason reads in the language of whoever looks at it (issue 17):
// the API answers each request in its own language, the CLI in its locale, the daemon's log in
// log.language. A Text is data (no catalogue, no locale inside), so the sans-I/O core and the
// config readers build them and only the edge renders them.
//
//   ui_text("unknown case %s", id)   a catalogue message: printf-style English, %s (or %1$s when
//                                    a translation reorders) for each argument; its arguments
//                                    are themselves Texts (numbers and strings shown as given)
//   Text(std::string)                shown as is in every language (ids, paths, peer text)
//   Text::layout("%s: %s", {a, b})   punctuation that joins Texts, never translated
//
// scripts/extract_messages.py collects every ui_text("...") into po/casesync.pot; msgfmt --check
// makes sure each translation keeps the same %s directives.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "common/ui_language.h"

namespace casesync {

class Text {
 public:
  Text() = default;
  Text(std::string verbatim) : text_(std::move(verbatim)) {}  // NOLINT: implicit by design
  Text(const char* verbatim) : text_(verbatim) {}              // NOLINT

  // A catalogue message with its arguments.
  static Text message(const char* msgid, std::vector<Text> args);
  // Untranslated punctuation laid out with %s like a message (joins, prefixes, lists).
  static Text layout(std::string format, std::vector<Text> args);
  // The texts with `separator` between them ("\n" for one problem per line).
  static Text join(const std::vector<Text>& parts, std::string_view separator);

  std::string render(UiLanguage language) const;
  std::string english() const { return render(UiLanguage::kEnglish); }
  bool empty() const { return text_.empty() && args_.empty(); }
  // The message id, "" for verbatim text (tests, and clients that want a stable key).
  const std::string& msgid() const { return translated_ ? text_ : kNoId; }

 private:
  static const std::string kNoId;
  std::string text_;          // verbatim text, msgid or layout
  bool translated_ = false;   // text_ is a catalogue msgid
  bool formatted_ = false;    // text_ holds %s directives for args_
  std::vector<Text> args_;
};

inline Text text_arg(const Text& t) { return t; }
inline Text text_arg(const std::string& s) { return Text(s); }
inline Text text_arg(const char* s) { return Text(std::string(s)); }
inline Text text_arg(std::string_view s) { return Text(std::string(s)); }
template <std::integral N>
Text text_arg(N n) { return Text(std::to_string(n)); }

// ui_text(N_-style literal, args...): the one spelling xgettext looks for.
template <typename... Args>
Text ui_text(const char* msgid, Args&&... args) {
  return Text::message(msgid, {text_arg(std::forward<Args>(args))...});
}

// printf-style %s / %N$s / %% substitution of `args` (a directive without an argument stays).
std::string substitute(std::string_view format, const std::vector<std::string>& args);

}  // namespace casesync
