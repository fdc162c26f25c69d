// The global propagator before any program sets one: OTEL_PROPAGATORS's, as in OpenTelemetry
// Python (its own binary: the default is read once, at first use, and ctest sets the variable).
#include <gtest/gtest.h>

#include "tracehop/trace/propagation.hpp"

using namespace tracehop::trace;

TEST(DefaultPropagator, FollowsOtelPropagators) {
  ASSERT_STREQ(std::getenv("OTEL_PROPAGATORS"), "b3multi");
  EXPECT_EQ(global_propagator()->fields(),
            (std::vector<std::string>{"X-B3-TraceId", "X-B3-SpanId", "X-B3-ParentSpanId", "X-B3-Sampled", "X-B3-Flags"}));
}
