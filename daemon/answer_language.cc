#include "daemon/answer_language.h"

#include "common/translate.h"

namespace casesync {

namespace {
thread_local UiLanguage t_answer_language = UiLanguage::kChinese;
}  // namespace

UiLanguage request_language(const std::string& lang_param, const std::string& accept_language) {
  if (!lang_param.empty()) return language_from_tag(lang_param);
  return language_from_accept(accept_language);
}

AnswerLanguage::AnswerLanguage(UiLanguage language) : previous_(t_answer_language) {
  t_answer_language = language;
}

AnswerLanguage::~AnswerLanguage() { t_answer_language = previous_; }

UiLanguage answer_language() { return t_answer_language; }

}  // namespace casesync
