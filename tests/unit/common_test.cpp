// The helpers every layer shares (src/common): one definition of trimming, case, tokens,
// percent-decoding, lists and environment values, so that no two layers read them differently.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "common/env.hpp"
#include "common/text.hpp"
#include "test_util.hpp"

using namespace tracehop::detail;
using tracehop::test::LogCapture;
using tracehop::test::ScopedEnv;

TEST(CommonText, ConfigurationValuesLoseAllAsciiWhiteSpaceHttpOnlySpacesAndTabs) {
  EXPECT_EQ(trim(" \t\r\n\v\fvalue \n"), "value");
  EXPECT_EQ(trim_ows(" \tvalue\t "), "value");
  EXPECT_EQ(trim_ows("value\r\n"), "value\r\n");  // CR LF are not OWS: a header value keeps them
  EXPECT_EQ(trim("   "), "");
}

TEST(CommonText, ListsAreSplitTrimmedAndWithoutEmptyItems) {
  EXPECT_EQ(split_list(" a, b ,,\tc\n,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list(" , ,").empty());
  EXPECT_EQ(split_list("x;y", ';'), (std::vector<std::string>{"x", "y"}));
}

TEST(CommonText, AsciiCaseOnly) {
  EXPECT_EQ(ascii_lower("Content-TYPE \xC3\x89"), "content-type \xC3\x89");  // bytes above ASCII unchanged
  EXPECT_TRUE(iequals("TraceParent", "traceparent"));
  EXPECT_FALSE(iequals("traceparent", "traceparents"));
  EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));
  static_assert(iequals("Content-Length", "content-length"));  // (constexpr: one byte a step)
  EXPECT_TRUE(iequals_lower("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(iequals_lower("Keep-Alivf", "keep-alive"));
  EXPECT_FALSE(iequals_lower("close", "closed"));
  // From eight bytes on, a word a step: every byte value at every place of 8 to 17 bytes agrees
  // with the byte-wise comparison, against itself in either case and against its neighbours.
  const auto bytewise = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
  };
  for (std::size_t size = 8; size < 18; ++size)
    for (std::size_t at = 0; at < size; ++at)
      for (int c = 0; c < 256; ++c) {
        std::string a(size, 'k');
        a[at] = static_cast<char>(c);
        for (const char other : {static_cast<char>(c), static_cast<char>(c ^ 0x20), static_cast<char>(c + 1)}) {
          std::string b(size, 'K');
          b[at] = other;
          ASSERT_EQ(iequals(a, b), bytewise(a, b)) << "byte " << c << " at " << at << " of " << size;
          ASSERT_EQ(iequals_lower(a, ascii_lower(b)), bytewise(a, b)) << "byte " << c << " at " << at << " of " << size;
        }
      }
}

TEST(CommonText, TokensAndFieldValuesAsRfc9110) {
  EXPECT_TRUE(is_token("X-Custom_1.!#$%&'*+^`|~"));
  for (std::string_view bad : {"", "a b", "a:b", "a\"b", "(a)", "a/b", "a\x7f", "\xC3\x89"}) EXPECT_FALSE(is_token(bad)) << bad;
  // A URL scanned for what redaction looks at, a word a step: found wherever it is.
  for (std::size_t at = 0; at < 19; ++at)
    for (const char c : {'@', '?', '#', '!'}) {
      std::string url(19, 'u');
      url[at] = c;
      EXPECT_EQ(swar::has_any_of(url, '@', '?', '#'), c != '!') << c << " at " << at;
    }
  // Eight characters a test, the rest one at a time: a bad byte is found wherever it is.
  for (const std::size_t size : {7, 8, 12, 16, 17})
    for (std::size_t at = 0; at < size; ++at)
      for (int c = 0; c < 256; ++c) {
        std::string t(size, 'a');
        t[at] = static_cast<char>(c);
        ASSERT_EQ(is_token(t), is_token_char(static_cast<char>(c))) << "byte " << c << " at " << at << " of " << size;
      }
  EXPECT_TRUE(is_field_value("any text, \t \xC3\xA9"));
  for (std::string_view bad : {std::string_view("a\rb"), std::string_view("a\nb"), std::string_view("a\0b", 3)})
    EXPECT_FALSE(is_field_value(bad));
  // Long values are checked eight bytes at a time: a bad byte anywhere, and bytes above ASCII
  // that differ from CR, LF and NUL in the high bit only, which are fine.
  const std::string fine(37, '\x8d');
  EXPECT_TRUE(is_field_value(fine + "\x8a\x80\x7f\x01"));
  // Other control characters inside a word (tab, 0x01, 0x1f) pass the exact check of that word.
  EXPECT_TRUE(is_field_value(std::string("0123456\t89abcde\x01ghijklm\x1fopqrstuvwxyz")));
  for (std::size_t i = 0; i < fine.size(); ++i)
    for (char c : {'\r', '\n', '\0'}) {
      std::string v = fine;
      v[i] = c;
      EXPECT_FALSE(is_field_value(v)) << i << ' ' << int(c);
    }
  // Short values byte by byte; longer ones end with an overlapping word: every size and place.
  for (std::size_t size = 1; size < 18; ++size) {
    EXPECT_TRUE(is_field_value(std::string(size, '\t'))) << size;
    for (std::size_t i = 0; i < size; ++i)
      for (char c : {'\r', '\n', '\0'}) {
        std::string v(size, 'v');
        v[i] = c;
        EXPECT_FALSE(is_field_value(v)) << size << ' ' << i << ' ' << int(c);
      }
  }
}

TEST(CommonText, WriteDecimalAgreesWithToCharsAtEveryLength) {
  std::vector<std::uint64_t> values{0, 1, UINT64_MAX, UINT64_MAX - 1, 1'764'400'000'123'456'789ULL};
  for (std::uint64_t p = 1; p <= 1'000'000'000'000'000'000ULL; p *= 10)
    for (std::uint64_t v : {p - 1, p, p + 1, 3 * p + 7, 9 * p + p - 1}) values.push_back(v);
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 1000; ++i) values.push_back((x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> (i % 64));
  for (std::uint64_t v : values) {
    char expected[24], got[24];
    const auto n = static_cast<std::size_t>(std::to_chars(expected, expected + sizeof expected, v).ptr - expected);
    const auto m = static_cast<std::size_t>(write_decimal(got, v) - got);
    EXPECT_EQ(std::string_view(got, m), std::string_view(expected, n)) << v;
  }
}

TEST(CommonText, PercentDecodingRefusesMalformedEscapes) {
  EXPECT_EQ(percent_decode("a%20b%2Cc%e2%82%ac"), "a b,c\xE2\x82\xAC");
  EXPECT_EQ(percent_decode("plain"), "plain");
  for (std::string_view bad : {"%", "%2", "%zz", "a%2g", "%-1"}) EXPECT_EQ(percent_decode(bad), std::nullopt) << bad;
}

TEST(CommonText, ExceptionTypesAreDemangled) {
  EXPECT_EQ(exception_type(std::make_exception_ptr(std::runtime_error("x"))), "std::runtime_error");
  EXPECT_EQ(exception_type(std::make_exception_ptr(42)), "int");
  EXPECT_EQ(demangle(typeid(std::vector<int>).name()).rfind("std::vector<int", 0), 0u);
  EXPECT_EQ(demangle("not a mangled name"), "not a mangled name");
}

TEST(CommonEnv, ValuesAreTrimmedAndEmptyMeansUnset) {
  ScopedEnv v("TRACEHOP_TEST_VALUE", " \tvalue\r\n");
  EXPECT_EQ(env("TRACEHOP_TEST_VALUE"), "value");
  ScopedEnv blank("TRACEHOP_TEST_BLANK", " \n ");
  EXPECT_EQ(env("TRACEHOP_TEST_BLANK"), std::nullopt);
  ScopedEnv unset("TRACEHOP_TEST_UNSET", std::nullopt);
  EXPECT_EQ(env("TRACEHOP_TEST_UNSET"), std::nullopt);
}

TEST(CommonEnv, NumbersBooleansAndListsWithMalformedValuesLogged) {
  LogCapture log;
  ScopedEnv n("TRACEHOP_TEST_N", " 512\n");
  EXPECT_EQ(env_uint("TRACEHOP_TEST_N"), 512u);
  ScopedEnv bad("TRACEHOP_TEST_BAD", "12ms");
  EXPECT_EQ(env_uint("TRACEHOP_TEST_BAD"), std::nullopt);
  EXPECT_TRUE(log.contains("TRACEHOP_TEST_BAD='12ms' is not a non-negative integer; ignored"));
  ScopedEnv t("TRACEHOP_TEST_T", " TRUE ");
  EXPECT_TRUE(env_bool("TRACEHOP_TEST_T"));
  ScopedEnv f("TRACEHOP_TEST_F", "yes");
  EXPECT_FALSE(env_bool("TRACEHOP_TEST_F"));
  EXPECT_TRUE(log.contains("TRACEHOP_TEST_F='yes' is neither true nor false; taken as false"));
  ScopedEnv l("TRACEHOP_TEST_L", "http/dup, http\n");
  EXPECT_EQ(env_list("TRACEHOP_TEST_L"), (std::vector<std::string>{"http/dup", "http"}));
}
