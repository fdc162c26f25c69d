#pragma once
// What the fault tests ask of the CLIENT span of a request that raised: an ERROR whose
// `error.type` is the raised error's type, with its exception event.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tracehop/trace/span.hpp"
#include "tracehop/trace/exporter.hpp"

namespace tracehop::test {

/// `spans` (one request's) are its one CLIENT span, an ERROR of type `raised`.
inline void expect_error_span(const std::vector<trace::SpanDataPtr>& spans, const std::string& raised, const char* fault) {
  ASSERT_EQ(spans.size(), 1u) << fault;
  const auto& span = *spans.back();
  EXPECT_EQ(span.kind, trace::SpanKind::Client) << fault;
  EXPECT_EQ(span.status.code, trace::StatusCode::Error) << fault;
  const auto* type = trace::find_attribute(span.attributes, "error.type");
  ASSERT_TRUE(type && type->get_if<std::string>()) << fault;
  EXPECT_EQ(*type->get_if<std::string>(), raised) << fault;
  ASSERT_FALSE(span.events.empty()) << fault;
  EXPECT_EQ(span.events.back().name, "exception") << fault;
}

}  // namespace tracehop::test
