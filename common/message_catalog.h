// A gettext message catalogue (.mo, the file msgfmt writes from po/zh_CN.po) read by casesync
// itself rather than through libc's gettext(): glibc translates only when the process's locale
// exists on the machine (`locale -a`), and Simplified Chinese is casesync's default even where
// no zh_CN locale is generated (minimal servers, containers, CI). The file format is gettext's,
// so msgfmt, msgmerge and the Debian layout (/usr/share/locale/zh_CN/LC_MESSAGES/casesync.mo)
// apply unchanged.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace casesync {

class MessageCatalog {
 public:
  // Reads a .mo file (either byte order). A file that is not one is an error naming it.
  static Result<MessageCatalog> load(const std::string& path);
  // Parses the bytes of a .mo file; `name` only labels errors.
  static Result<MessageCatalog> parse(std::string_view bytes, const std::string& name);

  // The translation of `msgid`, or nullptr when the catalogue has none (or an empty one).
  const std::string* find(std::string_view msgid) const;
  // Every msgid -> translation (the header entry, msgid "", left out).
  const std::unordered_map<std::string, std::string>& entries() const { return entries_; }

 private:
  std::unordered_map<std::string, std::string> entries_;
};

}  // namespace casesync
