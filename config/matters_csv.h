// The district's matters catalogue export (事项目录, UTF-8 CSV) to the matters TOML file that
// `casesyncctl policy publish --matters` signs:
//   code,name,limit_working_days,materials
//   QY-001,"企业设立登记, Enterprise registration",3,申请书;身份证明
// An optional UTF-8 BOM, quoted fields (with "" for a quote, commas and line breaks inside),
// CRLF or LF, materials separated by ';'. Every bad row is reported as FILE:LINE: problem, and
// nothing is converted unless every row is good.
#pragma once

#include <string>

#include "common/status.h"

namespace casesync {

// The TOML text (parse_matters accepts it), or kInvalidArgument listing every bad row.
Result<std::string> matters_csv_to_toml(const std::string& csv, const std::string& source_name);

}  // namespace casesync
