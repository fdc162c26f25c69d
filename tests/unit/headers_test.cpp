#include <gtest/gtest.h>

#include "tracehop/http/headers.hpp"
#include "tracehop/http/request_headers.hpp"

using tracehop::http::Headers;
using tracehop::http::RequestHeaders;

namespace {
std::vector<std::pair<std::string, std::string>> fields_of(const RequestHeaders& h) {
  std::vector<std::pair<std::string, std::string>> out;
  h.for_each([&](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
  return out;
}
}  // namespace

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

TEST(RequestHeaders, ANewFieldIsAddedWithoutTouchingTheRequestsOwn) {
  const Headers own{{"Accept", "*/*"}, {"X-Id", "1"}, {"x-id", "2"}};
  RequestHeaders hop(own);
  hop.set("traceparent", "00-abc-01");
  hop.add("X-New", "n");
  EXPECT_EQ(hop.size(), 5u);
  EXPECT_EQ(hop.first("TRACEPARENT"), "00-abc-01");
  EXPECT_EQ(hop.get("x-new"), "n");
  EXPECT_EQ(hop.get("X-ID"), "1,2");
  EXPECT_EQ(hop.all("traceparent"), (std::vector<std::string_view>{"00-abc-01"}));
  EXPECT_TRUE(hop.contains("accept"));
  EXPECT_FALSE(hop.first("missing"));
  EXPECT_EQ(fields_of(hop), (std::vector<std::pair<std::string, std::string>>{
                                {"Accept", "*/*"}, {"X-Id", "1"}, {"x-id", "2"}, {"traceparent", "00-abc-01"}, {"X-New", "n"}}));
  EXPECT_EQ(own.size(), 3u);
}

TEST(RequestHeaders, ChangingAFieldThatIsThereChangesACopyInOrder) {
  const Headers own{{"traceparent", "callers"}, {"Accept", "*/*"}};
  RequestHeaders hop(own);
  hop.set("baggage", "k=v");
  hop.set("Traceparent", "ours");  // replaces the caller's, in its place, never duplicated
  hop.add("baggage", "k2=v2");     // a second field of an added name
  EXPECT_EQ(fields_of(hop), (std::vector<std::pair<std::string, std::string>>{
                                {"traceparent", "ours"}, {"Accept", "*/*"}, {"baggage", "k=v"}, {"baggage", "k2=v2"}}));
  EXPECT_EQ(hop.get("baggage"), "k=v,k2=v2");
  EXPECT_EQ(hop.erase("ACCEPT"), 1u);
  EXPECT_EQ(hop.erase("missing"), 0u);
  EXPECT_EQ(hop.to_headers(), (Headers{{"traceparent", "ours"}, {"baggage", "k=v"}, {"baggage", "k2=v2"}}));
  EXPECT_EQ(own, (Headers{{"traceparent", "callers"}, {"Accept", "*/*"}}));  // the request's own are untouched
}

TEST(RequestHeaders, SettingAnAddedFieldAgainKeepsOneField) {
  const Headers own;
  RequestHeaders hop(own);
  hop.set("traceparent", "first");
  hop.set("TRACEPARENT", "second");
  EXPECT_EQ(fields_of(hop), (std::vector<std::pair<std::string, std::string>>{{"traceparent", "second"}}));
  EXPECT_EQ(hop.erase("traceparent"), 1u);
  EXPECT_EQ(hop.size(), 0u);
}
