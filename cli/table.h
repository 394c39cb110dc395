// A plain aligned text table for casesyncctl's human output. Its header is a list of msgids
// (marked N_ where the table is made) shown in the user's language; CSV keeps them as written.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "common/translate.h"

namespace casesync {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) {
    for (auto& h : header) h = tr(h);
    rows_.push_back(std::move(header));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::FILE* out = stdout) const {
    std::vector<std::size_t> width;
    for (const auto& r : rows_) {
      if (width.size() < r.size()) width.resize(r.size(), 0);
      for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
    }
    for (const auto& r : rows_) {
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(width[i] - display_width(r[i]) + 2, ' ');
      }
      std::fprintf(out, "%s\n", line.c_str());
    }
  }

 private:
  // Terminal columns: CJK characters and full-width forms take two, any other character one.
  static std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto lead = static_cast<unsigned char>(s[i]);
      if ((lead & 0xC0) == 0x80) continue;  // a continuation byte
      const auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
      // U+2E80 (CJK radicals) to U+FF60 (full-width forms) in three bytes; U+20000 and up (CJK
      // extensions) in four.
      const bool wide = (lead == 0xE2 && next >= 0xBA) || (lead >= 0xE3 && lead <= 0xEE) ||
                        (lead == 0xEF && next <= 0xBD) || lead >= 0xF0;
      n += wide ? 2 : 1;
    }
    return n;
  }
  std::vector<std::vector<std::string>> rows_;
};

// RFC 4180 CSV: a header line, then one line per row; a value with a comma, a quote or a line
// break is quoted, its quotes doubled.
inline void print_csv(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows, std::FILE* out = stdout) {
  auto line = [out](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string& c = cells[i];
      std::string v = c;
      if (c.find_first_of(",\"\r\n") != std::string::npos) {
        v = "\"";
        for (char ch : c) v += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        v += "\"";
      }
      std::fprintf(out, "%s%s", i ? "," : "", v.c_str());
    }
    std::fprintf(out, "\n");
  };
  line(header);
  for (const auto& r : rows) line(r);
}

}  // namespace casesync
