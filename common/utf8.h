// UTF-8 checks for text that crosses a trust boundary (API requests, event bodies from peers).
// nlohmann::json refuses to print a string that is not UTF-8, and the limits on what a clerk
// types count characters, not bytes, so a Chinese name has the room a Latin one has.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace casesync {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text);

// Characters (Unicode code points) in `text`. REQUIRES: valid_utf8(text).
std::size_t utf8_chars(std::string_view text);

// The first `chars` characters of `text` (all of it when shorter), never cutting a character.
// REQUIRES: valid_utf8(text).
std::string_view utf8_prefix(std::string_view text, std::size_t chars);

// `text` with every ill-formed byte replaced by U+FFFD, for messages that quote foreign text
// (a parser's error that cut a character in two).
std::string utf8_sanitize(std::string_view text);

// The byte offset of the first ill-formed sequence, or text.size() when there is none.
std::size_t utf8_error_offset(std::string_view text);

}  // namespace casesync
