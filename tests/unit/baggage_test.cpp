#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace tracehop::trace;

TEST(Baggage, SetGetEraseAreImmutable) {
  Baggage b;
  auto b1 = b.set("user", "alice");
  auto b2 = b1.set("user", "bob", "ttl=1");
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b1.get("user"), "alice");
  EXPECT_EQ(b2.get("user"), "bob");
  EXPECT_EQ(b2.entries()[0].metadata, "ttl=1");
  EXPECT_EQ(b2.size(), 1u);
  EXPECT_TRUE(b2.erase("user").empty());
  EXPECT_FALSE(b2.get("USER"));  // names are case-sensitive
}

TEST(BaggageHeader, ParsesW3CExample) {
  auto b = parse_baggage("key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue");
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.get("key1"), "value1");
  EXPECT_EQ(b.entries()[0].metadata, "property1;property2");
  EXPECT_EQ(b.get("key2"), "value2");
  EXPECT_EQ(b.get("key3"), "value3");
  EXPECT_EQ(b.entries()[2].metadata, "propertyKey=propertyValue");
}

TEST(BaggageHeader, PercentDecodesValues) {
  auto b = parse_baggage("userId=alice%20smith,serverNode=DF%2028,isProduction=false");
  EXPECT_EQ(b.get("userId"), "alice smith");
  EXPECT_EQ(b.get("serverNode"), "DF 28");
  EXPECT_EQ(b.get("isProduction"), "false");
  EXPECT_EQ(parse_baggage("k=%E6%97%A5").get("k"), "\xE6\x97\xA5");
}

TEST(BaggageHeader, SkipsMalformedMembersKeepsTheRest) {
  auto b = parse_baggage("good=1,noequals,=novalue,bad key=2,b(ad=3,pct=%zz,also=ok");
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("good"), "1");
  EXPECT_EQ(b.get("also"), "ok");
}

TEST(BaggageHeader, FormatPercentEncodesAndRoundTrips) {
  Baggage b = Baggage{}.set("user", "alice smith, \"jr\";=%").set("k2", "v2", "p1");
  auto header = format_baggage(b);
  EXPECT_EQ(header, "user=alice%20smith%2C%20%22jr%22%3B=%25,k2=v2;p1");
  auto back = parse_baggage(header);
  EXPECT_EQ(back.get("user"), "alice smith, \"jr\";=%");
  EXPECT_EQ(back.get("k2"), "v2");
}

TEST(BaggageHeader, AtMost180Members) {
  std::string header;
  for (int i = 0; i < 200; ++i) header += (i ? "," : "") + ("k" + std::to_string(i)) + "=v";
  auto b = parse_baggage(header);
  EXPECT_EQ(b.size(), 180u);
  EXPECT_EQ(b.get("k179"), "v");
  EXPECT_FALSE(b.get("k180"));

  Baggage big;
  for (int i = 0; i < 200; ++i) big = big.set("k" + std::to_string(i), "v");
  auto out = format_baggage(big);
  EXPECT_EQ(std::count(out.begin(), out.end(), ','), 179);
}

TEST(BaggageHeader, AtMost8192Bytes) {
  std::string header;
  for (int i = 0; i < 100; ++i) header += (i ? "," : "") + ("k" + std::to_string(i)) + "=" + std::string(100, 'v');
  ASSERT_GT(header.size(), 8192u);
  auto b = parse_baggage(header);
  EXPECT_LT(b.size(), 100u);
  EXPECT_GT(b.size(), 70u);
  for (const auto& e : b.entries()) EXPECT_EQ(e.value.size(), 100u);  // only whole members

  Baggage big;
  for (int i = 0; i < 100; ++i) big = big.set("k" + std::to_string(i), std::string(100, 'v'));
  EXPECT_LE(format_baggage(big).size(), 8192u);
}

TEST(BaggagePropagator, InjectAndExtract) {
  auto ctx = Context{}.with_baggage(Baggage{}.set("tenant", "acme").set("region", "eu west"));
  MapCarrier carrier;
  baggage_propagator()->inject(carrier, ctx);
  EXPECT_EQ(carrier.get("baggage"), "tenant=acme,region=eu%20west");
  auto back = baggage_propagator()->extract(carrier, Context{});
  EXPECT_EQ(back.baggage().get("region"), "eu west");
}

TEST(BaggagePropagator, ExtractAddsToExistingBaggage) {
  auto base = Context{}.with_baggage(Baggage{}.set("a", "1").set("b", "old"));
  MapCarrier carrier{{"Baggage", "b=new,c=3"}};
  auto ctx = baggage_propagator()->extract(carrier, base);
  EXPECT_EQ(ctx.baggage().get("a"), "1");
  EXPECT_EQ(ctx.baggage().get("b"), "new");
  EXPECT_EQ(ctx.baggage().get("c"), "3");
}

TEST(BaggagePropagator, NoBaggageNoHeader) {
  MapCarrier carrier;
  baggage_propagator()->inject(carrier, Context{});
  EXPECT_FALSE(carrier.get("baggage"));
}

// The W3C Baggage specification's examples and the malformed members around them: each header
// with the entries it must yield (name=decoded value[;metadata], joined with '|').
struct BaggageCase {
  const char* header;
  const char* entries;
  friend void PrintTo(const BaggageCase& c, std::ostream* os) { *os << c.header; }
};

class BaggageW3C : public ::testing::TestWithParam<BaggageCase> {};

TEST_P(BaggageW3C, YieldsTheExpectedEntries) {
  std::string got;
  const Baggage baggage = parse_baggage(GetParam().header);
  for (const auto& e : baggage.entries()) {
    if (!got.empty()) got += '|';
    got += e.name + "=" + e.value + (e.metadata.empty() ? "" : ";" + e.metadata);
  }
  EXPECT_EQ(got, GetParam().entries);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, BaggageW3C,
    ::testing::Values(
        BaggageCase{"key1=value1,key2=value2", "key1=value1|key2=value2"},
        BaggageCase{"key1 = value1, key2 = value2", "key1=value1|key2=value2"},
        BaggageCase{"key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
                    "key1=value1;property1;property2|key2=value2|key3=value3;propertyKey=propertyValue"},
        BaggageCase{"userId=alice,serverNode=DF%2028,isProduction=false",
                    "userId=alice|serverNode=DF 28|isProduction=false"},
        BaggageCase{"key1=value1;property1,key2=value2", "key1=value1;property1|key2=value2"},
        BaggageCase{"SomeKey=SomeValue%2C%20with%3Dencoding", "SomeKey=SomeValue, with=encoding"},
        BaggageCase{"k=", "k="},
        BaggageCase{"", ""},
        BaggageCase{",,,", ""},
        BaggageCase{"novalue", ""},
        BaggageCase{"=value", ""},
        BaggageCase{"key with space=v,ok=1", "ok=1"},
        BaggageCase{"k=%4", ""},
        BaggageCase{"k=%G1,ok=2", "ok=2"},
        BaggageCase{"dup=1,dup=2", "dup=2"}));

TEST(BaggageHeader, MembersOver4096BytesAreSkipped) {
  const std::string big = "big=" + std::string(4100, 'v');
  auto b = parse_baggage(big + ",small=1");
  EXPECT_FALSE(b.get("big"));
  EXPECT_EQ(b.get("small"), "1");
  EXPECT_EQ(format_baggage(Baggage{}.set("big", std::string(4100, 'v')).set("small", "1")), "small=1");
}
