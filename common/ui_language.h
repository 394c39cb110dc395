// The two languages casesync speaks to people (common/translate.h says how one is chosen).
#pragma once

namespace casesync {

enum class UiLanguage { kChinese, kEnglish };

}  // namespace casesync
