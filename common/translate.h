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
#include "common/ui_language.h"

// Marks a string for xgettext (po/casesync.pot) where it is translated later, by tr().
#define N_(text) text

namespace casesync {


// From the environment as above.
UiLanguage language_from_env();
// From a page's ?lang= value: "en" is English, anything else Chinese.
UiLanguage language_from_tag(const std::string& tag);
// From an HTTP Accept-Language header ("en-US,en;q=0.9", "zh-CN,zh;q=0.8,en;q=0.5"): English
// when an English range has a higher weight than every Chinese one; Chinese otherwise (also for
// no header, "*", or only other languages: casesync speaks these two).
UiLanguage language_from_accept(const std::string& header);

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

// The Chinese catalogue found beside the running binary (/proc/self/exe; catalog_paths() in
// common/translate.h), loaded once; empty when none is installed (everything shows in English).
const MessageCatalog& installed_chinese_catalog();
// `msgid` in `language` from that catalogue; `msgid` itself in English or when it lacks one.
std::string translate(UiLanguage language, const std::string& msgid);

}  // namespace casesync
