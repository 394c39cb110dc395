#include "common/translate.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#ifndef CASESYNC_LOCALEDIR
#define CASESYNC_LOCALEDIR "/usr/share/locale"
#endif

namespace casesync {

namespace {

constexpr const char* kCatalogFile = "/zh_CN/LC_MESSAGES/casesync.mo";

struct Language {
  UiLanguage language = UiLanguage::kChinese;
  MessageCatalog catalog;
};

Language& process_language() {
  static Language language;
  return language;
}

}  // namespace

UiLanguage language_from_env() {
  // POSIX precedence: the first of these that is set decides.
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    const std::string v(value);
    return v.rfind("en", 0) == 0 ? UiLanguage::kEnglish : UiLanguage::kChinese;
  }
  return UiLanguage::kChinese;
}

UiLanguage language_from_tag(const std::string& tag) {
  return tag.rfind("en", 0) == 0 ? UiLanguage::kEnglish : UiLanguage::kChinese;
}

UiLanguage language_from_accept(const std::string& header) {
  double english_q = 0, chinese_q = 0;
  std::size_t at = 0;
  while (at <= header.size()) {
    std::size_t end = header.find(',', at);
    if (end == std::string::npos) end = header.size();
    std::string range = header.substr(at, end - at);
    at = end + 1;
    double q = 1;
    if (auto semi = range.find(';'); semi != std::string::npos) {
      const auto qat = range.find("q=", semi);
      if (qat != std::string::npos) q = std::strtod(range.c_str() + qat + 2, nullptr);
      range.resize(semi);
    }
    const auto first = range.find_first_not_of(' ');
    range = first == std::string::npos ? "" : range.substr(first);
    while (!range.empty() && range.back() == ' ') range.pop_back();
    std::string lower;
    for (char c : range) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "en" || lower.rfind("en-", 0) == 0) english_q = std::max(english_q, q);
    if (lower == "zh" || lower.rfind("zh-", 0) == 0) chinese_q = std::max(chinese_q, q);
  }
  return english_q > chinese_q ? UiLanguage::kEnglish : UiLanguage::kChinese;
}

std::vector<std::string> catalog_paths(const std::string& exe_dir) {
  std::vector<std::string> paths;
  if (const char* dir = std::getenv("CASESYNC_LOCALEDIR"); dir != nullptr && *dir != '\0') {
    paths.push_back(std::string(dir) + kCatalogFile);
  }
  paths.push_back(std::string(CASESYNC_LOCALEDIR) + kCatalogFile);
  paths.push_back(exe_dir + "/../share/locale" + kCatalogFile);
  paths.push_back(exe_dir + "/../locale" + kCatalogFile);
  return paths;
}

MessageCatalog load_chinese_catalog(const std::string& exe_dir) {
  for (const auto& path : catalog_paths(exe_dir)) {
    auto catalog = MessageCatalog::load(path);
    if (catalog.is_ok()) return std::move(*catalog);
  }
  return MessageCatalog();
}

void use_language(UiLanguage language, const std::string& exe_dir) {
  Language& l = process_language();
  l.language = language;
  l.catalog = language == UiLanguage::kChinese ? load_chinese_catalog(exe_dir) : MessageCatalog();
}

UiLanguage current_language() { return process_language().language; }

const char* tr(const char* msgid) {
  const std::string* text = process_language().catalog.find(msgid);
  return text == nullptr ? msgid : text->c_str();
}

std::string tr(const std::string& msgid) {
  const std::string* text = process_language().catalog.find(msgid);
  return text == nullptr ? msgid : *text;
}

const MessageCatalog& installed_chinese_catalog() {
  static const MessageCatalog catalog = [] {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return load_chinese_catalog(ec ? std::string(".") : exe.parent_path().string());
  }();
  return catalog;
}

std::string translate(UiLanguage language, const std::string& msgid) {
  if (language == UiLanguage::kEnglish) return msgid;
  const std::string* text = installed_chinese_catalog().find(msgid);
  return text == nullptr ? msgid : *text;
}

}  // namespace casesync
