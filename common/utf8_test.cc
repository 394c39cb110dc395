// Proves the UTF-8 checks: well-formed text passes, every ill-formed class of RFC 3629 fails at
// the right offset, and characters are counted as code points.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>

#include "common/utf8.h"

using namespace casesync;

TEST_CASE("well-formed text of every length class") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ASCII"));
  CHECK(valid_utf8("张三 申请书"));               // 3-byte sequences
  CHECK(valid_utf8("\xC2\xA9"));                   // U+00A9, the smallest 2-byte
  CHECK(valid_utf8("\xF0\x9F\x98\x80"));           // U+1F600, 4 bytes
  CHECK(valid_utf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF, the largest
  CHECK(valid_utf8(std::string("a\0b", 3)));       // NUL is a character
}

TEST_CASE("ill-formed sequences fail at their first byte") {
  CHECK(utf8_error_offset("bad\xff\xfe") == 3);     // bytes never used in UTF-8
  CHECK(utf8_error_offset("ab\xC0\xAF") == 2);      // overlong '/'
  CHECK(utf8_error_offset("\xE0\x80\xAF") == 0);    // overlong 3-byte
  CHECK(utf8_error_offset("x\xED\xA0\x80") == 1);   // a UTF-16 surrogate
  CHECK(utf8_error_offset("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(utf8_error_offset("\xE5\xBC") == 0);        // truncated at the end
  CHECK(utf8_error_offset("\x80") == 0);            // a lone continuation byte
  CHECK(utf8_error_offset("\xE5\x41\x41") == 0);    // a missing continuation byte
  CHECK_FALSE(valid_utf8("张三\xff"));
}

TEST_CASE("characters are code points, not bytes") {
  CHECK(utf8_chars("") == 0);
  CHECK(utf8_chars("Wang Fang") == 9);
  CHECK(utf8_chars("王芳") == 2);
  CHECK(utf8_chars("\xF0\x9F\x98\x80!") == 2);
}

TEST_CASE("a prefix never cuts a character") {
  CHECK(utf8_prefix("王芳芳", 2) == "王芳");
  CHECK(utf8_prefix("ab", 5) == "ab");
  CHECK(utf8_prefix("abc", 0) == "");
}

TEST_CASE("sanitizing replaces each bad byte and keeps the rest") {
  CHECK(utf8_sanitize("ok 王") == "ok 王");
  CHECK(utf8_sanitize("a\xE5\xBC'b") == "a\xEF\xBF\xBD\xEF\xBF\xBD'b");
  CHECK(valid_utf8(utf8_sanitize("\xff\xfe\xc0")));
}
