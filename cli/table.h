// A plain aligned text table for casesyncctl's human output.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace casesync {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
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
  // Counts UTF-8 code points so Chinese names do not break the columns too badly.
  static std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
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
