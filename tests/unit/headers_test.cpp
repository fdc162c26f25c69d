#include <gtest/gtest.h>

#include "tracehop/http/headers.hpp"

using tracehop::http::Headers;

TEST(Headers, KeepsOrderAndSpellingLooksUpIgnoringCase) {
  Headers h{{"Accept", "application/json"}, {"X-Request-Id", "1"}};
  h.add("x-request-id", "2");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.fields()[1].first, "X-Request-Id");
  EXPECT_EQ(h.fields()[2].first, "x-request-id");
  EXPECT_EQ(h.first("X-REQUEST-ID"), "1");
  EXPECT_EQ(h.all("x-request-id"), (std::vector<std::string_view>{"1", "2"}));
  EXPECT_EQ(h.get("X-Request-Id"), "1,2");
  EXPECT_EQ(h.get("accept"), "application/json");
  EXPECT_FALSE(h.get("missing"));
  EXPECT_TRUE(h.contains("ACCEPT"));
}

TEST(Headers, SetReplacesEveryFieldOfTheNameInPlace) {
  Headers h{{"A", "1"}, {"traceparent", "old-1"}, {"B", "2"}, {"TraceParent", "old-2"}};
  h.set("Traceparent", "new");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.fields()[1].first, "traceparent");  // the first one's position and spelling
  EXPECT_EQ(h.fields()[1].second, "new");
  EXPECT_EQ(h.all("traceparent").size(), 1u);
  h.set("C", "3");  // absent: appended
  EXPECT_EQ(h.fields().back().first, "C");
}

TEST(Headers, EraseRemovesAllOfTheName) {
  Headers h{{"A", "1"}, {"a", "2"}, {"B", "3"}};
  EXPECT_EQ(h.erase("A"), 2u);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.erase("A"), 0u);
}
