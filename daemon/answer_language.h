// The language the API answers a request in (issue 17): `?lang=en` (or zh), else the
// Accept-Language header (common/translate.h: language_from_accept), else Simplified Chinese.
// The edge (daemon/api_util.cc) decides it once per request and holds it for the thread that
// answers (the API thread, then the loop thread while it runs the request's task), so every
// reply_error() renders its message in it without each route passing it along. JSON keys, error
// codes and fields are the same in every language.
#pragma once

#include <string>

#include "common/ui_language.h"

namespace casesync {

// The query parameter every route accepts for it.
inline constexpr const char* kLanguageParameter = "lang";

// `lang_param`: the ?lang= value ("" when absent); `accept_language`: the header ("" when absent).
UiLanguage request_language(const std::string& lang_param, const std::string& accept_language);

// Sets this thread's answer language for its lifetime, restoring the previous one after.
class AnswerLanguage {
 public:
  explicit AnswerLanguage(UiLanguage language);
  ~AnswerLanguage();
  AnswerLanguage(const AnswerLanguage&) = delete;
  AnswerLanguage& operator=(const AnswerLanguage&) = delete;

 private:
  UiLanguage previous_;
};

// This thread's answer language; Chinese outside any request (the front's early refusals).
UiLanguage answer_language();

}  // namespace casesync
