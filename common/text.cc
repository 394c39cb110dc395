#include "common/text.h"

#include <cctype>

#include "common/translate.h"

namespace casesync {

const std::string Text::kNoId;

Text Text::message(const char* msgid, std::vector<Text> args) {
  Text t(msgid);
  t.translated_ = true;
  t.formatted_ = !args.empty();
  t.args_ = std::move(args);
  return t;
}

Text Text::layout(std::string format, std::vector<Text> args) {
  Text t(std::move(format));
  t.formatted_ = true;
  t.args_ = std::move(args);
  return t;
}

Text Text::join(const std::vector<Text>& parts, std::string_view separator) {
  std::string format;
  std::string sep;
  for (char c : separator) sep += c == '%' ? std::string("%%") : std::string(1, c);
  for (std::size_t i = 0; i < parts.size(); ++i) format += (i ? sep : "") + "%s";
  return layout(std::move(format), parts);
}

std::string Text::render(UiLanguage language) const {
  const std::string own = translated_ ? translate(language, text_) : text_;
  if (!formatted_) return own;
  std::vector<std::string> shown;
  shown.reserve(args_.size());
  for (const auto& a : args_) shown.push_back(a.render(language));
  return substitute(own, shown);
}

std::string substitute(std::string_view format, const std::vector<std::string>& args) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    if (format[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    // %s takes the next argument; %N$s argument N (1-based).
    std::size_t j = i + 1, index = next;
    bool positional = false;
    if (std::isdigit(static_cast<unsigned char>(format[j])) != 0) {
      std::size_t n = 0;
      while (j < format.size() && std::isdigit(static_cast<unsigned char>(format[j])) != 0) {
        n = n * 10 + static_cast<std::size_t>(format[j++] - '0');
      }
      positional = j < format.size() && format[j] == '$' && n >= 1;
      if (positional) {
        index = n - 1;
        ++j;
      }
    }
    if (j < format.size() && format[j] == 's' && (positional || j == i + 1) && index < args.size()) {
      out += args[index];
      if (!positional) ++next;
      i = j;
      continue;
    }
    out += format[i];
  }
  return out;
}

}  // namespace casesync
