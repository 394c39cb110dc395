// The language casesync speaks to people: Simplified Chinese by default, English when the
// locale explicitly names English (LC_ALL, else LC_MESSAGES, else LANG starting with "en").
// "C", "POSIX", "C.UTF-8" or no locale at all keep Chinese: they are what a minimal server or a
// systemd unit has, not a person's choice of English. English is the msgid itself; Chinese comes
// from casesync.mo (common/message_catalog.h says why casesync reads it itself).
// JSON never goes through tr(): its keys and values are an interface for scripts.
#pragma once

#include <string>
#include <vector>

#include "common/message_catalog.h"

// Marks a string for xgettext (po/casesync.pot) where it is translated later, by tr().
#define N_(text) text

namespace casesync {

enum class UiLanguage { kChinese, kEnglish };

// From the environment as above.
UiLanguage language_from_env();
// From a page's ?lang= value: "en" is English, anything else Chinese.
UiLanguage language_from_tag(const std::string& tag);

// Where casesync.mo for zh_CN is looked for, in order: $CASESYNC_LOCALEDIR, the install's
// locale dir (compiled in, /usr/share/locale for the package), ../share/locale beside the
// binary, and the build tree's locale/ (build/cli/casesyncctl -> build/locale).
std::vector<std::string> catalog_paths(const std::string& exe_dir);
// The first of catalog_paths() that loads; an empty catalogue (English) when none does.
MessageCatalog load_chinese_catalog(const std::string& exe_dir);

// The process's language (set once at start, before threads): tr() answers in it.
void use_language(UiLanguage language, const std::string& exe_dir);
UiLanguage current_language();
// The translation of `msgid` in the current language; `msgid` itself in English or when the
// catalogue lacks it.
const char* tr(const char* msgid);
std::string tr(const std::string& msgid);

}  // namespace casesync
