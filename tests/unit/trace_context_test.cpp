// W3C Trace Context: the valid and invalid traceparent/tracestate cases of the W3C test suite,
// run through the propagator.
#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace tracehop::trace;

namespace {

constexpr const char* kTraceId = "12345678901234567890123456789012";

Context extract_from(std::initializer_list<std::pair<std::string, std::string>> headers) {
  MapCarrier carrier(headers);
  return trace_context_propagator()->extract(carrier, Context{});
}

}  // namespace

struct TraceparentCase {
  const char* value;
  bool valid;
  const char* name;
  friend void PrintTo(const TraceparentCase& c, std::ostream* os) { *os << c.name; }
};

class Traceparent : public ::testing::TestWithParam<TraceparentCase> {};

TEST_P(Traceparent, ParsesAsTheW3CSuiteExpects) {
  const auto& c = GetParam();
  auto ctx = extract_from({{"traceparent", c.value}});
  const auto& sc = ctx.span().span_context();
  if (c.valid) {
    ASSERT_TRUE(sc.valid()) << c.name;
    EXPECT_EQ(sc.trace_id().to_hex(), kTraceId) << c.name;
    EXPECT_TRUE(sc.remote());
  } else {
    EXPECT_FALSE(sc.valid()) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    W3C, Traceparent,
    ::testing::Values(
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-01", true, "v00"},
        TraceparentCase{" 00-12345678901234567890123456789012-1234567890123456-01", true, "leading space"},
        TraceparentCase{"\t00-12345678901234567890123456789012-1234567890123456-01", true, "leading tab"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-01 ", true, "trailing space"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-01\t", true, "trailing tab"},
        TraceparentCase{"cc-12345678901234567890123456789012-1234567890123456-01", true, "future version"},
        TraceparentCase{"cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like", true, "future version, more fields"},
        TraceparentCase{"cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like", false, "future version, bad separator"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-01.", false, "v00 trailing char"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like", false, "v00 extra fields"},
        TraceparentCase{"ff-12345678901234567890123456789012-1234567890123456-01", false, "version ff"},
        TraceparentCase{".0-12345678901234567890123456789012-1234567890123456-01", false, "version illegal char"},
        TraceparentCase{"0.-12345678901234567890123456789012-1234567890123456-01", false, "version illegal char 2"},
        TraceparentCase{"000-12345678901234567890123456789012-1234567890123456-01", false, "version too long"},
        TraceparentCase{"0000-12345678901234567890123456789012-1234567890123456-01", false, "version too long 2"},
        TraceparentCase{"0-12345678901234567890123456789012-1234567890123456-01", false, "version too short"},
        TraceparentCase{"00-00000000000000000000000000000000-1234567890123456-01", false, "trace id all zero"},
        TraceparentCase{"00-.2345678901234567890123456789012-1234567890123456-01", false, "trace id illegal char"},
        TraceparentCase{"00-1234567890123456789012345678901.-1234567890123456-01", false, "trace id illegal char 2"},
        TraceparentCase{"00-123456789012345678901234567890123-1234567890123456-01", false, "trace id too long"},
        TraceparentCase{"00-1234567890123456789012345678901-1234567890123456-01", false, "trace id too short"},
        TraceparentCase{"00-12345678901234567890123456789012-0000000000000000-01", false, "parent id all zero"},
        TraceparentCase{"00-12345678901234567890123456789012-.234567890123456-01", false, "parent id illegal char"},
        TraceparentCase{"00-12345678901234567890123456789012-123456789012345.-01", false, "parent id illegal char 2"},
        TraceparentCase{"00-12345678901234567890123456789012-12345678901234567-01", false, "parent id too long"},
        TraceparentCase{"00-12345678901234567890123456789012-123456789012345-01", false, "parent id too short"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-.0", false, "flags illegal char"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-0.", false, "flags illegal char 2"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-001", false, "flags too long"},
        TraceparentCase{"00-12345678901234567890123456789012-1234567890123456-1", false, "flags too short"},
        TraceparentCase{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", false, "uppercase hex"},
        TraceparentCase{"", false, "empty"}));

TEST(TraceContext, HeaderNameIsCaseInsensitive) {
  for (const char* name : {"TraceParent", "TrAcEpArEnT", "TRACEPARENT"}) {
    auto ctx = extract_from({{name, "00-12345678901234567890123456789012-1234567890123456-01"}});
    EXPECT_TRUE(ctx.span().span_context().valid()) << name;
  }
  for (const char* name : {"trace-parent", "trace.parent"}) {
    auto ctx = extract_from({{name, "00-12345678901234567890123456789012-1234567890123456-01"}});
    EXPECT_FALSE(ctx.span().span_context().valid()) << name;
  }
}

TEST(TraceContext, DuplicatedTraceparentIsInvalid) {
  auto ctx = extract_from({{"traceparent", "00-12345678901234567890123456789011-1234567890123456-01"},
                           {"traceparent", "00-12345678901234567890123456789012-1234567890123456-01"}});
  EXPECT_FALSE(ctx.span().span_context().valid());
}

TEST(TraceContext, SampledFlagIsRead) {
  auto on = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-01"}});
  auto off = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"}});
  EXPECT_TRUE(on.span().span_context().sampled());
  EXPECT_FALSE(off.span().span_context().sampled());
}

TEST(TraceContext, FutureVersionKeepsOnlyKnownFlags) {
  auto ctx = extract_from({{"traceparent", "cc-12345678901234567890123456789012-1234567890123456-ff"}});
  EXPECT_EQ(ctx.span().span_context().trace_flags().bits(), 0x03);
}

TEST(TraceContext, TracestateKeptWithValidParent) {
  auto ctx = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"},
                           {"tracestate", "foo=1,bar=2"}});
  EXPECT_EQ(ctx.span().span_context().trace_state().get("foo"), "1");
  EXPECT_EQ(ctx.span().span_context().trace_state().get("bar"), "2");
}

TEST(TraceContext, TracestateDroppedWhenTraceparentInvalid) {
  auto ctx = extract_from({{"traceparent", "00-00000000000000000000000000000000-1234567890123456-01"},
                           {"tracestate", "foo=1"}});
  EXPECT_FALSE(ctx.span().span_context().valid());
  EXPECT_TRUE(ctx.span().span_context().trace_state().empty());
}

TEST(TraceContext, MultipleTracestateHeadersCombineInOrder) {
  auto ctx = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"},
                           {"tracestate", "foo=1,bar=2"},
                           {"tracestate", "rojo=1,congo=2"},
                           {"tracestate", "baz=3"}});
  EXPECT_EQ(ctx.span().span_context().trace_state().to_header(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(TraceContext, EmptyTracestateHeaderIsHarmless) {
  auto a = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"},
                         {"tracestate", "foo=1"},
                         {"tracestate", ""}});
  EXPECT_EQ(a.span().span_context().trace_state().get("foo"), "1");
  auto b = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"},
                         {"tracestate", ""},
                         {"tracestate", "foo=1"}});
  EXPECT_EQ(b.span().span_context().trace_state().get("foo"), "1");
}

TEST(TraceContext, ADuplicateKeyAcrossHeadersKeepsTheFirstMember) {
  // Trace Context: a vendor MAY discard duplicate keys; the header is not dropped for them.
  auto ctx = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"},
                           {"tracestate", "foo=1"},
                           {"tracestate", "bar=3,foo=2"}});
  EXPECT_TRUE(ctx.span().span_context().valid());
  EXPECT_EQ(ctx.span().span_context().trace_state().to_header(), "foo=1,bar=3");
}

TEST(TraceContext, ThirtyThreeMembersAcrossHeadersDiscardTracestate) {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) a += (i > 1 ? "," : "") + ("bar" + std::to_string(i)) + "=1";
  for (int i = 21; i <= 33; ++i) b += (i > 21 ? "," : "") + ("bar" + std::to_string(i)) + "=1";
  auto ctx = extract_from({{"traceparent", "00-12345678901234567890123456789012-1234567890123456-00"},
                           {"tracestate", a},
                           {"tracestate", b}});
  EXPECT_TRUE(ctx.span().span_context().trace_state().empty());
}

TEST(TraceContext, InjectWritesTraceparentAndTracestate) {
  auto id = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  auto sid = *SpanId::from_hex("00f067aa0ba902b7");
  SpanContext sc(id, sid, TraceFlags(0x01), false, *TraceState::parse("congo=t61"));
  MapCarrier carrier;
  trace_context_propagator()->inject(carrier, Context{}.with_span(Span(sc)));
  EXPECT_EQ(carrier.get("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(carrier.get("tracestate"), "congo=t61");
}

TEST(TraceContext, InjectReplacesExistingTraceparent) {
  MapCarrier carrier{{"TraceParent", "00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-aaaaaaaaaaaaaaaa-01"}, {"x-keep", "1"}};
  auto sc = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  trace_context_propagator()->inject(carrier, Context{}.with_span(Span(sc)));
  int count = 0;
  for (const auto& [k, v] : carrier.entries()) count += (k == "traceparent" || k == "TraceParent");
  EXPECT_EQ(count, 1);
  EXPECT_EQ(carrier.get("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(carrier.get("x-keep"), "1");
}

TEST(TraceContext, InjectNothingForInvalidContext) {
  MapCarrier carrier;
  trace_context_propagator()->inject(carrier, Context{});
  EXPECT_TRUE(carrier.entries().empty());
}

TEST(TraceContext, InjectWritesOnlyKnownFlagBits) {
  auto sc = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff");
  EXPECT_EQ(format_traceparent(sc).substr(53), "03");
}

TEST(TraceContext, RoundTripThroughInjectAndExtract) {
  auto sc = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
  MapCarrier carrier;
  trace_context_propagator()->inject(carrier, Context{}.with_span(Span(sc)));
  auto back = trace_context_propagator()->extract(carrier, Context{});
  EXPECT_EQ(back.span().span_context(), sc);
  EXPECT_TRUE(back.span().span_context().trace_flags().random());
}

TEST(TraceContext, FieldsNameBothHeaders) {
  auto f = trace_context_propagator()->fields();
  EXPECT_EQ(f, (std::vector<std::string>{"traceparent", "tracestate"}));
}

// extract_into is extract in place: the same result for every built-in propagator, in a
// composite too, and the context untouched when the carrier holds nothing valid.
TEST(TraceContext, ExtractIntoGivesWhatExtractGives) {
  const auto composite = composite_propagator(
      {trace_context_propagator(), baggage_propagator(), b3_propagator(B3Format::Multi)});
  const auto base_span = *parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const Context base = Context{}.with_span(Span(base_span)).with_baggage(Baggage().set("tenant", "acme"));
  const std::vector<std::vector<std::pair<std::string, std::string>>> carriers{
      {},
      {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"tracestate", "k=v"}},
      {{"traceparent", "00-not-a-traceparent"}, {"baggage", "user=alice"}},
      {{"baggage", "user=alice,tenant=globex"}},
      {{"X-B3-TraceId", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"X-B3-SpanId", "00f067aa0ba902b7"}, {"X-B3-Sampled", "1"}},
  };
  for (const auto& headers : carriers) {
    MapCarrier carrier;
    for (const auto& [name, value] : headers) carrier.add(name, value);
    for (const auto& p : {trace_context_propagator(), baggage_propagator(), composite}) {
      const Context expected = p->extract(carrier, base);
      Context in_place = base;
      p->extract_into(carrier, in_place);
      EXPECT_EQ(in_place.span().span_context(), expected.span().span_context()) << headers.size() << " headers";
      EXPECT_EQ(in_place.baggage(), expected.baggage()) << headers.size() << " headers";
    }
  }
  MapCarrier none;
  Context untouched = base;
  composite->extract_into(none, untouched);
  EXPECT_EQ(untouched.span().span_context(), base_span);
  EXPECT_EQ(untouched.baggage().get("tenant"), "acme");
}
