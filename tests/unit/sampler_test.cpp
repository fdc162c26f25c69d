#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace tracehop::trace;

namespace {

// The decision of should_sample, after checking that the shortcut the SDK takes first (decide,
// which every built-in sampler has) comes to the same one.
SamplingDecision decide(const Sampler& s, const Context& parent, const TraceId& id) {
  Attributes attrs;
  const auto full = s.should_sample({parent, id, "op", SpanKind::Internal, attrs, {}});
  EXPECT_TRUE(full.attributes.empty());
  EXPECT_FALSE(full.trace_state.has_value());
  SamplingDecision quick = full.decision == SamplingDecision::Drop ? SamplingDecision::RecordOnly : SamplingDecision::Drop;
  EXPECT_TRUE(s.decide(parent.span().span_context(), id, quick)) << s.description();
  EXPECT_EQ(quick, full.decision) << s.description();
  return full.decision;
}

TraceId id_with_randomness(std::uint64_t r) {
  TraceId::Bytes b{};
  b[0] = 0xab;  // non-random part: must not matter
  for (int i = 15; i >= 9; --i, r >>= 8) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(r);
  return TraceId(b);
}

Context parent(bool remote, bool sampled) {
  auto id = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  auto sid = *SpanId::from_hex("00f067aa0ba902b7");
  return Context{}.with_span(Span(SpanContext(id, sid, TraceFlags{}.with_sampled(sampled), remote)));
}

}  // namespace

TEST(Sampler, AlwaysOnAndOff) {
  auto id = RandomIdGenerator{}.new_trace_id();
  EXPECT_EQ(decide(*always_on_sampler(), Context{}, id), SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*always_off_sampler(), Context{}, id), SamplingDecision::Drop);
  EXPECT_EQ(always_on_sampler()->description(), "AlwaysOnSampler");
}

TEST(Sampler, TraceIdRatioUsesThe56BitThreshold) {
  auto half = trace_id_ratio_sampler(0.5);
  const std::uint64_t mid = std::uint64_t{1} << 55;  // threshold for 0.5
  EXPECT_EQ(decide(*half, Context{}, id_with_randomness(mid)), SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*half, Context{}, id_with_randomness(mid - 1)), SamplingDecision::Drop);
  EXPECT_EQ(decide(*half, Context{}, id_with_randomness((std::uint64_t{1} << 56) - 1)),
            SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*trace_id_ratio_sampler(1.0), Context{}, id_with_randomness(0)),
            SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*trace_id_ratio_sampler(0.0), Context{}, id_with_randomness((std::uint64_t{1} << 56) - 1)),
            SamplingDecision::Drop);
  EXPECT_EQ(half->description(), "TraceIdRatioBased{0.500000}");
}

TEST(Sampler, TraceIdRatioIsMonotonicAndIgnoresParent) {
  RandomIdGenerator gen;
  auto low = trace_id_ratio_sampler(0.1), high = trace_id_ratio_sampler(0.3);
  int kept_low = 0, kept_high = 0;
  for (int i = 0; i < 20000; ++i) {
    auto id = gen.new_trace_id();
    const bool l = decide(*low, parent(true, false), id) == SamplingDecision::RecordAndSample;
    const bool h = decide(*high, Context{}, id) == SamplingDecision::RecordAndSample;
    if (l) {
      EXPECT_TRUE(h) << "sampled at 0.1 must be sampled at 0.3";
    }
    kept_low += l;
    kept_high += h;
  }
  EXPECT_NEAR(kept_low / 20000.0, 0.1, 0.015);
  EXPECT_NEAR(kept_high / 20000.0, 0.3, 0.02);
}

TEST(Sampler, ParentBasedFollowsTheParent) {
  auto pb = parent_based_sampler(always_off_sampler());
  auto id = RandomIdGenerator{}.new_trace_id();
  EXPECT_EQ(decide(*pb, Context{}, id), SamplingDecision::Drop);  // root: the root sampler
  EXPECT_EQ(decide(*pb, parent(true, true), id), SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*pb, parent(true, false), id), SamplingDecision::Drop);
  EXPECT_EQ(decide(*pb, parent(false, true), id), SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*pb, parent(false, false), id), SamplingDecision::Drop);
}

TEST(Sampler, ParentBasedUsesAllFiveDelegates) {
  // Each delegate is the opposite of its default, so every branch is visible.
  auto pb = parent_based_sampler(always_on_sampler(),
                                 {.remote_parent_sampled = always_off_sampler(),
                                  .remote_parent_not_sampled = always_on_sampler(),
                                  .local_parent_sampled = always_off_sampler(),
                                  .local_parent_not_sampled = always_on_sampler()});
  auto id = RandomIdGenerator{}.new_trace_id();
  EXPECT_EQ(decide(*pb, Context{}, id), SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*pb, parent(true, true), id), SamplingDecision::Drop);
  EXPECT_EQ(decide(*pb, parent(true, false), id), SamplingDecision::RecordAndSample);
  EXPECT_EQ(decide(*pb, parent(false, true), id), SamplingDecision::Drop);
  EXPECT_EQ(decide(*pb, parent(false, false), id), SamplingDecision::RecordAndSample);
  EXPECT_NE(pb->description().find("ParentBased{root:AlwaysOnSampler"), std::string::npos);
}

TEST(Sampler, FromEnv) {
  using tracehop::test::ScopedEnv;
  {
    ScopedEnv s("OTEL_TRACES_SAMPLER", std::nullopt);
    EXPECT_EQ(sampler_from_env()->description().rfind("ParentBased{root:AlwaysOnSampler", 0), 0u);
  }
  {
    ScopedEnv s("OTEL_TRACES_SAMPLER", "traceidratio");
    ScopedEnv a("OTEL_TRACES_SAMPLER_ARG", "0.25");
    EXPECT_EQ(sampler_from_env()->description(), "TraceIdRatioBased{0.250000}");
  }
  {
    ScopedEnv s("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
    ScopedEnv a("OTEL_TRACES_SAMPLER_ARG", "0.5");
    EXPECT_NE(sampler_from_env()->description().find("root:TraceIdRatioBased{0.500000}"), std::string::npos);
  }
  EXPECT_EQ(sampler_from_name("always_off")->description(), "AlwaysOffSampler");
  EXPECT_NE(sampler_from_name("parentbased_always_off")->description().find("root:AlwaysOffSampler"),
            std::string::npos);
}

TEST(Sampler, BadEnvIsLoggedAndDefaulted) {
  tracehop::test::LogCapture logs;
  EXPECT_EQ(sampler_from_name("traceidratio", "1.5")->description(), "TraceIdRatioBased{1.000000}");
  EXPECT_TRUE(logs.contains("OTEL_TRACES_SAMPLER_ARG"));
  EXPECT_EQ(sampler_from_name("nonsense")->description().rfind("ParentBased", 0), 0u);
  EXPECT_TRUE(logs.contains("nonsense"));
}
