#include "common/status.h"

namespace casesync {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kCorruption: return "corruption";
    case Code::kIoError: return "I/O error";
    case Code::kDiskFull: return "disk full";
    case Code::kPermission: return "permission";
    case Code::kUnauthorized: return "unauthorized";
    case Code::kEquivocation: return "equivocation";
    case Code::kUnavailable: return "unavailable";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(code_name(code_)) + ": " + message_;
}

Status Status::with_context(const std::string& context) const {
  if (is_ok()) return *this;
  return Status(code_, Text::layout("%s: %s", {Text(context), text_}));
}

}  // namespace casesync
