#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace tracehop::trace;

namespace {
const SpanContext kSampled = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(B3, SingleHeaderInject) {
  MapCarrier carrier;
  b3_propagator(B3Format::Single)->inject(carrier, Context{}.with_span(Span(kSampled)));
  EXPECT_EQ(carrier.get("b3"), "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");
  EXPECT_FALSE(carrier.get("X-B3-TraceId"));
}

TEST(B3, MultiHeaderInject) {
  MapCarrier carrier;
  auto unsampled = SpanContext(kSampled.trace_id(), kSampled.span_id(), TraceFlags{}, true);
  b3_propagator(B3Format::Multi)->inject(carrier, Context{}.with_span(Span(unsampled)));
  EXPECT_EQ(carrier.get("X-B3-TraceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(carrier.get("X-B3-SpanId"), "00f067aa0ba902b7");
  EXPECT_EQ(carrier.get("X-B3-Sampled"), "0");
  EXPECT_FALSE(carrier.get("b3"));
}

TEST(B3, SingleHeaderExtractVariants) {
  auto p = b3_propagator();
  struct Case {
    const char* header;
    bool valid;
    bool sampled;
  } cases[] = {
      {"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", true, true},
      {"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", true, false},
      {"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", true, false},
      {"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-d", true, true},
      {"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1-05e3ac9a4f6e3b90", true, true},
      {"a3ce929d0e0e4736-00f067aa0ba902b7-1", true, true},
      {"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-x", false, false},
      {"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1-05e3ac9a4f6e3b90-9", false, false},
      {"4bf92f3577b34da6a3ce929d0e0e4736", false, false},
      {"0", false, false},
      {"00000000000000000000000000000000-00f067aa0ba902b7-1", false, false},
      {"4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-1", false, false},
  };
  for (const auto& c : cases) {
    MapCarrier carrier{{"b3", c.header}};
    auto sc = p->extract(carrier, Context{}).span().span_context();
    EXPECT_EQ(sc.valid(), c.valid) << c.header;
    if (c.valid) {
      EXPECT_EQ(sc.sampled(), c.sampled) << c.header;
      EXPECT_TRUE(sc.remote());
    }
  }
}

TEST(B3, SixtyFourBitTraceIdIsPaddedOnTheLeft) {
  MapCarrier carrier{{"b3", "a3ce929d0e0e4736-00f067aa0ba902b7-1"}};
  auto sc = b3_propagator()->extract(carrier, Context{}).span().span_context();
  EXPECT_EQ(sc.trace_id().to_hex(), "0000000000000000a3ce929d0e0e4736");
  MapCarrier multi{{"X-B3-TraceId", "a3ce929d0e0e4736"}, {"X-B3-SpanId", "00f067aa0ba902b7"}};
  EXPECT_EQ(b3_propagator(B3Format::Multi)->extract(multi, Context{}).span().span_context().trace_id().to_hex(),
            "0000000000000000a3ce929d0e0e4736");
}

TEST(B3, MultiHeaderExtract) {
  MapCarrier carrier{{"x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736"},
                     {"X-B3-SPANID", "00f067aa0ba902b7"},
                     {"X-B3-Sampled", "1"},
                     {"X-B3-ParentSpanId", "05e3ac9a4f6e3b90"}};
  auto sc = b3_propagator(B3Format::Multi)->extract(carrier, Context{}).span().span_context();
  ASSERT_TRUE(sc.valid());
  EXPECT_TRUE(sc.sampled());
  EXPECT_EQ(sc.span_id().to_hex(), "00f067aa0ba902b7");
}

TEST(B3, DebugFlagIsSampledAndRoundTrips) {
  MapCarrier in{{"X-B3-TraceId", "4bf92f3577b34da6a3ce929d0e0e4736"},
                {"X-B3-SpanId", "00f067aa0ba902b7"},
                {"X-B3-Flags", "1"}};
  auto ctx = b3_propagator(B3Format::Multi)->extract(in, Context{});
  EXPECT_TRUE(ctx.span().span_context().sampled());
  ASSERT_TRUE(ctx.get(b3_debug_key()));
  MapCarrier out;
  b3_propagator(B3Format::Multi)->inject(out, ctx);
  EXPECT_EQ(out.get("X-B3-Flags"), "1");
  EXPECT_FALSE(out.get("X-B3-Sampled"));
  MapCarrier single;
  b3_propagator(B3Format::Single)->inject(single, ctx);
  EXPECT_EQ(single.get("b3"), "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-d");
}

TEST(B3, SingleHeaderWinsOverMulti) {
  MapCarrier carrier{{"b3", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"},
                     {"X-B3-TraceId", "11111111111111111111111111111111"},
                     {"X-B3-SpanId", "1111111111111111"}};
  auto sc = b3_propagator()->extract(carrier, Context{}).span().span_context();
  EXPECT_EQ(sc.trace_id().to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(B3, MissingSpanIdIsIgnored) {
  MapCarrier carrier{{"X-B3-TraceId", "4bf92f3577b34da6a3ce929d0e0e4736"}};
  EXPECT_FALSE(b3_propagator(B3Format::Multi)->extract(carrier, Context{}).span().span_context().valid());
}

TEST(Composite, InjectsAllAndExtractsInOrder) {
  auto p = composite_propagator({trace_context_propagator(), baggage_propagator(), b3_propagator()});
  auto ctx = Context{}.with_span(Span(kSampled)).with_baggage(Baggage{}.set("k", "v"));
  MapCarrier carrier;
  p->inject(carrier, ctx);
  EXPECT_TRUE(carrier.get("traceparent"));
  EXPECT_TRUE(carrier.get("baggage"));
  EXPECT_TRUE(carrier.get("b3"));
  auto back = p->extract(carrier, Context{});
  EXPECT_EQ(back.span().span_context().trace_id(), kSampled.trace_id());
  EXPECT_EQ(back.baggage().get("k"), "v");
  EXPECT_EQ(p->fields(), (std::vector<std::string>{"traceparent", "tracestate", "baggage", "b3"}));
}

TEST(PropagatorNames, BuildsFromList) {
  tracehop::test::LogCapture logs;
  EXPECT_EQ(propagator_from_names("tracecontext,baggage")->fields().size(), 3u);
  EXPECT_EQ(propagator_from_names("b3multi")->fields().size(), 5u);
  EXPECT_TRUE(propagator_from_names("none")->fields().empty());
  EXPECT_EQ(propagator_from_names(" b3 , bogus ")->fields(), std::vector<std::string>{"b3"});
  EXPECT_TRUE(logs.contains("bogus"));
}

TEST(PropagatorNames, FromEnvDefaultsToTraceContextAndBaggage) {
  tracehop::test::ScopedEnv env("OTEL_PROPAGATORS", std::nullopt);
  EXPECT_EQ(propagator_from_env()->fields(), (std::vector<std::string>{"traceparent", "tracestate", "baggage"}));
  tracehop::test::ScopedEnv b3("OTEL_PROPAGATORS", "b3");
  EXPECT_EQ(propagator_from_env()->fields(), std::vector<std::string>{"b3"});
}
