#include <gtest/gtest.h>

#include "tracehop/trace/trace_state.hpp"

using tracehop::trace::TraceState;

TEST(TraceState, ParsesMembersInOrder) {
  auto ts = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(ts);
  ASSERT_EQ(ts->size(), 2u);
  EXPECT_EQ(ts->members()[0].first, "rojo");
  EXPECT_EQ(ts->get("congo"), "t61rcWkgMzE");
  EXPECT_EQ(ts->to_header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(TraceState, OwsAndEmptyMembersAreAllowed) {
  for (const char* h : {"foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << h;
    EXPECT_EQ(ts->get("foo"), "1");
    EXPECT_EQ(ts->get("bar"), "2");
    EXPECT_EQ(ts->get("baz"), "3");
  }
  for (const char* h : {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t", ",foo=1,", ",,"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << h;
    if (std::string_view(h) != ",,") {
      EXPECT_EQ(ts->get("foo"), "1") << h;
    }
  }
}

TEST(TraceState, AllAllowedCharacters) {
  std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
  std::string value;
  for (int c = 0x20; c <= 0x7e; ++c)
    if (c != ',' && c != '=') value += static_cast<char>(c);
  auto ts = TraceState::parse(key + "=" + value);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->get(key), value);
  auto tv = TraceState::parse(key + "@a-z0-9_-*/=" + value);
  ASSERT_TRUE(tv);
  EXPECT_EQ(tv->get(key + "@a-z0-9_-*/"), value);
}

// The current recommendation's key: ( lcalpha / DIGIT ) 0*255( keychar ), "@" a keychar like any
// other (the older grammar allowed one "@", between a tenant and a system id of at most 14).
TEST(TraceState, KeysOfTheCurrentGrammar) {
  for (const char* key : {"foo@", "foo@@bar", "foo@bar@baz", "1foo", "0", "9@", "a@b", "a/b*c-d_e",
                          "tenant@system-id-longer-than-14", "t@1system"}) {
    EXPECT_TRUE(TraceState::valid_key(key)) << key;
    auto ts = TraceState::parse(std::string(key) + "=1,other=2");
    ASSERT_TRUE(ts) << key;
    EXPECT_EQ(ts->get(key), "1") << key;
    EXPECT_EQ(ts->size(), 2u) << key;
  }
  for (const char* key : {"@foo", "_foo", "-foo", "*foo", "/foo", "Foo", "foO", "fo.o", "fo o", "f=o", ""})
    EXPECT_FALSE(TraceState::valid_key(key)) << key;
}

TEST(TraceState, ARepeatedKeyKeepsItsLeftMostMember) {
  for (const char* h : {"foo=1,bar=2,foo=3", "foo=1, foo=1,bar=2", "foo=1,bar=2,foo=3,bar=4,foo=5"}) {
    auto ts = TraceState::parse(h);
    ASSERT_TRUE(ts) << h;
    EXPECT_EQ(ts->to_header(), "foo=1,bar=2") << h;
  }
  // Repeats do not count towards the 32 members.
  std::string h;
  for (int i = 1; i <= 32; ++i) h += "k" + std::to_string(i) + "=" + std::to_string(i) + ",k1=again,";
  auto ts = TraceState::parse(h);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->size(), 32u);
  EXPECT_EQ(ts->get("k1"), "1");
  // A repeat is still a member: an invalid value there invalidates the header.
  EXPECT_FALSE(TraceState::parse("foo=1,foo=a=b"));
}

struct InvalidCase {
  const char* header;
  const char* why;
  friend void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.why; }
};

class TraceStateInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(TraceStateInvalid, DiscardsTheWholeHeader) {
  EXPECT_FALSE(TraceState::parse(GetParam().header)) << GetParam().why;
}

INSTANTIATE_TEST_SUITE_P(
    W3C, TraceStateInvalid,
    ::testing::Values(InvalidCase{"foo =1", "space inside key"}, InvalidCase{"FOO=1", "uppercase key"},
                      InvalidCase{"foo.bar=1", "dot in key"}, InvalidCase{"@foo=1,bar=2", "key starts with @"},
                      InvalidCase{"_foo=1", "key starts with _"}, InvalidCase{"=1", "empty key"},
                      InvalidCase{"foo", "no ="}, InvalidCase{"foo=", "empty value"},
                      InvalidCase{"foo=a,b", "member without ="}, InvalidCase{"foo=a=b", "= in value"},
                      InvalidCase{"foo=\x7f", "DEL in value"},
                      InvalidCase{"foo=a\x01", "control character in value"}));

TEST(TraceState, KeyLengthLimits) {
  EXPECT_TRUE(TraceState::parse(std::string(256, 'z') + "=1"));
  EXPECT_FALSE(TraceState::parse(std::string(257, 'z') + "=1"));
  // With "@" anywhere: 256 characters in all, however they are split.
  EXPECT_TRUE(TraceState::parse(std::string(242, 't') + "@" + std::string(13, 'v') + "=1"));
  EXPECT_TRUE(TraceState::parse("t@" + std::string(254, 'v') + "=1"));
  EXPECT_TRUE(TraceState::parse("7" + std::string(255, '@') + "=1"));
  EXPECT_FALSE(TraceState::parse("t@" + std::string(255, 'v') + "=1"));
}

TEST(TraceState, ValueLengthLimit) {
  EXPECT_TRUE(TraceState::parse("foo=" + std::string(256, 'x')));
  EXPECT_FALSE(TraceState::parse("foo=" + std::string(257, 'x')));
}

TEST(TraceState, AtMost32Members) {
  std::string h;
  for (int i = 1; i <= 32; ++i) h += (i > 1 ? "," : "") + std::string("bar") + std::to_string(i) + "=" + std::to_string(i);
  auto ts = TraceState::parse(h);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->size(), 32u);
  EXPECT_FALSE(TraceState::parse(h + ",bar33=33"));
}

TEST(TraceState, SetMovesMemberToFrontAndKeepsTheRest) {
  auto ts = *TraceState::parse("a=1,b=2,c=3");
  auto updated = ts.set("b", "9");
  EXPECT_EQ(updated.to_header(), "b=9,a=1,c=3");
  EXPECT_EQ(ts.to_header(), "a=1,b=2,c=3");  // immutable
  EXPECT_EQ(updated.set("new", "x").to_header(), "new=x,b=9,a=1,c=3");
  EXPECT_EQ(updated.erase("a").to_header(), "b=9,c=3");
}

TEST(TraceState, SetWithInvalidKeyOrValueChangesNothing) {
  auto ts = *TraceState::parse("a=1");
  EXPECT_EQ(ts.set("Bad", "1").to_header(), "a=1");
  EXPECT_EQ(ts.set("ok", "a,b").to_header(), "a=1");
  EXPECT_EQ(ts.set("ok", "").to_header(), "a=1");
}

TEST(TraceState, SetOnFullStateDropsTheRightMost) {
  TraceState ts;
  for (int i = 0; i < 32; ++i) ts = ts.set("k" + std::to_string(i), "v");
  EXPECT_EQ(ts.size(), 32u);
  ts = ts.set("newest", "v");
  EXPECT_EQ(ts.size(), 32u);
  EXPECT_EQ(ts.members().front().first, "newest");
  EXPECT_FALSE(ts.get("k0"));  // the oldest (right-most) went
}
