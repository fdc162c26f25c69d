// The OTLP protobuf encoding (written straight into the wire format) read back by the generated
// protobuf code: every field of a span, several resources and scopes, each attribute type, and
// the canonical form (the generated code writes exactly the same bytes back).
#include <gtest/gtest.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "proto.hpp"
#include "test_util.hpp"
#include "tracehop/otlp/encoding.hpp"
#include "tracehop/trace/resource.hpp"

using namespace tracehop;
using namespace tracehop::trace;
using Request = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

const TimePoint kStart{std::chrono::nanoseconds(1'700'000'000'123'456'789)};

SpanDataPtr span_of(const std::shared_ptr<const Resource>& resource, const std::shared_ptr<const InstrumentationScope>& scope,
                    std::string name) {
  auto s = std::make_shared<SpanData>();
  s->name = std::move(name);
  s->context = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"), *SpanId::from_hex("00f067aa0ba902b7"),
                           TraceFlags(0x01), false);
  s->start_time = kStart;
  s->end_time = kStart + std::chrono::microseconds(2500);
  s->resource = resource;
  s->scope = scope;
  return s;
}

Request decode(std::string_view bytes) {
  Request r;
  EXPECT_TRUE(r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  EXPECT_EQ(r.SerializeAsString(), bytes) << "not in canonical form";
  return r;
}

}  // namespace

TEST(OtlpProtobuf, EveryFieldOfASpanReadsBack) {
  auto resource = std::make_shared<const Resource>(Attributes{{"service.name", "checkout"}}, "https://opentelemetry.io/schemas/1.24.0");
  auto scope = std::make_shared<const InstrumentationScope>(
      InstrumentationScope{"tracehop.instrument.http_client", "0.1.0", "https://schema", {{"scope.attr", true}}});
  auto s = std::const_pointer_cast<SpanData>(span_of(resource, scope, "GET /items/{sku}"));
  s->context = SpanContext(s->context.trace_id(), s->context.span_id(), TraceFlags(0x03), false,
                           *TraceState::parse("vendor=a1,other=b2"));
  s->parent_span_id = *SpanId::from_hex("53995c3f42cd8ad8");
  s->parent_remote = true;
  s->kind = SpanKind::Client;
  s->attributes = {{"s", "text"},
                   {"empty", ""},
                   {"i", std::int64_t{-42}},
                   {"big", std::int64_t{9'007'199'254'740'993}},
                   {"d", 0.25},
                   {"no", false},
                   {"bools", std::vector<bool>{true, false}},
                   {"ints", std::vector<std::int64_t>{1, -1}},
                   {"doubles", std::vector<double>{1.5}},
                   {"strings", std::vector<std::string>{"a", ""}},
                   {"none", std::vector<std::string>{}}};
  s->dropped_attributes = 3;
  s->events.push_back({"exception", kStart + std::chrono::microseconds(10), {{"exception.type", "E"}}, 1});
  s->dropped_events = 2;
  Link link;
  link.context = SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"), *SpanId::from_hex("b7ad6b7169203331"),
                             TraceFlags(0x01), true, *TraceState::parse("k=v"));
  link.attributes = {{"link.attr", std::int64_t{7}}};
  link.dropped_attributes = 4;
  s->links.push_back(link);
  s->dropped_links = 5;
  s->status = {StatusCode::Error, "upstream timed out"};

  otlp::detail::ProtobufEncoder encoder;
  const Request r = decode(encoder.encode(std::vector<SpanDataPtr>{s}));
  ASSERT_EQ(r.resource_spans_size(), 1);
  const auto& rs = r.resource_spans(0);
  EXPECT_EQ(rs.schema_url(), "https://opentelemetry.io/schemas/1.24.0");
  EXPECT_EQ(rs.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "checkout");
  const auto& ss = rs.scope_spans(0);
  EXPECT_EQ(ss.scope().name(), "tracehop.instrument.http_client");
  EXPECT_EQ(ss.scope().version(), "0.1.0");
  EXPECT_TRUE(ss.scope().attributes(0).value().bool_value());
  EXPECT_EQ(ss.schema_url(), "https://schema");
  const auto& p = ss.spans(0);
  EXPECT_EQ(p.trace_id(), std::string("\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36", 16));
  EXPECT_EQ(p.span_id(), std::string("\x00\xf0\x67\xaa\x0b\xa9\x02\xb7", 8));
  EXPECT_EQ(p.trace_state(), "vendor=a1,other=b2");
  EXPECT_EQ(p.parent_span_id(), std::string("\x53\x99\x5c\x3f\x42\xcd\x8a\xd8", 8));
  EXPECT_EQ(p.flags(), 0x303u);  // sampled + random, and the parent is remote
  EXPECT_EQ(p.name(), "GET /items/{sku}");
  EXPECT_EQ(p.kind(), opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(p.start_time_unix_nano(), 1'700'000'000'123'456'789u);
  EXPECT_EQ(p.end_time_unix_nano(), 1'700'000'000'125'956'789u);
  ASSERT_EQ(p.attributes_size(), 11);
  EXPECT_EQ(p.attributes(0).value().string_value(), "text");
  EXPECT_TRUE(p.attributes(1).value().has_string_value());  // an empty string is still a value
  EXPECT_EQ(p.attributes(2).value().int_value(), -42);
  EXPECT_EQ(p.attributes(3).value().int_value(), 9'007'199'254'740'993);
  EXPECT_EQ(p.attributes(4).value().double_value(), 0.25);
  EXPECT_TRUE(p.attributes(5).value().has_bool_value());
  EXPECT_FALSE(p.attributes(5).value().bool_value());
  EXPECT_FALSE(p.attributes(6).value().array_value().values(1).bool_value());
  EXPECT_EQ(p.attributes(7).value().array_value().values(1).int_value(), -1);
  EXPECT_EQ(p.attributes(8).value().array_value().values(0).double_value(), 1.5);
  EXPECT_EQ(p.attributes(9).value().array_value().values(1).string_value(), "");
  EXPECT_TRUE(p.attributes(10).value().has_array_value());
  EXPECT_EQ(p.attributes(10).value().array_value().values_size(), 0);
  EXPECT_EQ(p.dropped_attributes_count(), 3u);
  EXPECT_EQ(p.events(0).name(), "exception");
  EXPECT_EQ(p.events(0).time_unix_nano(), 1'700'000'000'123'466'789u);
  EXPECT_EQ(p.events(0).attributes(0).value().string_value(), "E");
  EXPECT_EQ(p.events(0).dropped_attributes_count(), 1u);
  EXPECT_EQ(p.dropped_events_count(), 2u);
  EXPECT_EQ(p.links(0).span_id(), std::string("\xb7\xad\x6b\x71\x69\x20\x33\x31", 8));
  EXPECT_EQ(p.links(0).trace_state(), "k=v");
  EXPECT_EQ(p.links(0).attributes(0).value().int_value(), 7);
  EXPECT_EQ(p.links(0).dropped_attributes_count(), 4u);
  EXPECT_EQ(p.links(0).flags(), 0x301u);
  EXPECT_EQ(p.dropped_links_count(), 5u);
  EXPECT_EQ(p.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(p.status().message(), "upstream timed out");
}

TEST(OtlpProtobuf, GroupedByResourceThenScopeInFirstSeenOrder) {
  auto r1 = std::make_shared<const Resource>(Attributes{{"service.name", "a"}});
  auto r2 = std::make_shared<const Resource>(Attributes{{"service.name", "b"}});
  auto s1 = std::make_shared<const InstrumentationScope>(InstrumentationScope{"one", "", "", {}});
  auto s2 = std::make_shared<const InstrumentationScope>(InstrumentationScope{"two", "", "", {}});
  const std::vector<SpanDataPtr> spans{span_of(r1, s1, "a1"), span_of(r2, s1, "b1"), span_of(r1, s2, "a2"),
                                       span_of(r1, s1, "a3"), span_of(nullptr, nullptr, "")};
  otlp::detail::ProtobufEncoder encoder;
  for (int round = 0; round < 2; ++round) {  // the buffers are reused
    const Request r = decode(encoder.encode(spans));
    ASSERT_EQ(r.resource_spans_size(), 3);
    const auto& a = r.resource_spans(0);
    ASSERT_EQ(a.scope_spans_size(), 2);
    EXPECT_EQ(a.scope_spans(0).scope().name(), "one");
    ASSERT_EQ(a.scope_spans(0).spans_size(), 2);
    EXPECT_EQ(a.scope_spans(0).spans(1).name(), "a3");
    EXPECT_EQ(a.scope_spans(1).spans(0).name(), "a2");
    EXPECT_EQ(r.resource_spans(1).scope_spans(0).spans(0).name(), "b1");
    EXPECT_FALSE(r.resource_spans(2).has_resource());  // a span without resource or scope
    EXPECT_FALSE(r.resource_spans(2).scope_spans(0).has_scope());
    EXPECT_TRUE(r.resource_spans(2).scope_spans(0).spans(0).has_status());
  }
  EXPECT_EQ(encoder.encode({}), "");
  EXPECT_EQ(otlp::to_otlp_protobuf(spans), std::string(encoder.encode(spans)));
}
