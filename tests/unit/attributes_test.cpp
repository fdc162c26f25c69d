#include <gtest/gtest.h>

#include "tracehop/trace/attributes.hpp"

using namespace tracehop::trace;

TEST(AttributeKey, LiteralKeysBorrowRuntimeKeysOwn) {
  static constexpr char kLiteral[] = "http.request.method";
  AttributeKey lit = kLiteral;
  EXPECT_EQ(lit.view().data(), kLiteral);  // borrowed: same storage, nothing copied
  EXPECT_EQ(lit.view(), "http.request.method");
  std::string runtime = "dynamic.key";
  AttributeKey owned = runtime;
  runtime[0] = 'X';  // the key kept its own copy
  EXPECT_EQ(owned.view(), "dynamic.key");
  AttributeKey copy = owned;
  EXPECT_EQ(copy.view(), "dynamic.key");
  EXPECT_NE(copy.view().data(), owned.view().data());
  AttributeKey moved = std::move(copy);
  EXPECT_EQ(moved.view(), "dynamic.key");
}

TEST(AttributeValue, HoldsEachSpecType) {
  EXPECT_TRUE(AttributeValue(true).is<bool>());
  EXPECT_TRUE(AttributeValue(42).is<std::int64_t>());
  EXPECT_TRUE(AttributeValue(std::uint16_t{443}).is<std::int64_t>());
  EXPECT_TRUE(AttributeValue(1.5).is<double>());
  EXPECT_TRUE(AttributeValue("GET").is<std::string>());  // not bool
  EXPECT_TRUE(AttributeValue(std::string_view("x")).is<std::string>());
  EXPECT_TRUE(AttributeValue({"a", "b"}).is<std::vector<std::string>>());
  EXPECT_TRUE(AttributeValue(std::vector<std::int64_t>{1, 2}).is<std::vector<std::int64_t>>());
  EXPECT_TRUE(AttributeValue(std::vector<double>{1.0}).is<std::vector<double>>());
  EXPECT_TRUE(AttributeValue(std::vector<bool>{true}).is<std::vector<bool>>());
  EXPECT_EQ(AttributeValue(std::vector<std::int64_t>{1, 2}).to_string(), "[1, 2]");
}

TEST(AttributeValue, TruncatesAtUtf8Boundary) {
  AttributeValue v(std::string("ab\xC3\xA9"));  // "abé": é is 2 bytes
  EXPECT_TRUE(v.truncate(3));
  EXPECT_EQ(*v.get_if<std::string>(), "ab");
  AttributeValue arr(std::vector<std::string>{"hello", "hi"});
  EXPECT_TRUE(arr.truncate(3));
  EXPECT_EQ(*arr.get_if<std::vector<std::string>>(), (std::vector<std::string>{"hel", "hi"}));
  AttributeValue num(5);
  EXPECT_FALSE(num.truncate(0));
}

TEST(Attributes, SetReplacesInPlaceAndRespectsLimit) {
  Attributes a;
  EXPECT_TRUE(set_attribute(a, "a", 1, 2));
  EXPECT_TRUE(set_attribute(a, "b", 2, 2));
  EXPECT_FALSE(set_attribute(a, "c", 3, 2));  // over the count limit
  EXPECT_TRUE(set_attribute(a, "a", 10, 2));  // replacing is always allowed
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].key, "a");
  EXPECT_EQ(*find_attribute(a, "a")->get_if<std::int64_t>(), 10);
  EXPECT_FALSE(set_attribute(a, std::string_view(""), 1));  // empty keys are invalid
}
