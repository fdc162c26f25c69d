#pragma once
// A span with something in every field (and a bare one beside it), and what the official OTLP
// decoder must read back from any encoding of the two: shared by the encoding and export tests.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "js_packages.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::test {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kSpan = "00f067aa0ba902b7";
constexpr const char* kParent = "53995c3f42cd8ad8";
constexpr const char* kLinkTrace = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* kLinkSpan = "b7ad6b7169203331";
const trace::TimePoint kStart{std::chrono::nanoseconds(1'700'000'000'123'456'789)};

// A span with something in every field, from a resource and scope of its own.
inline trace::SpanDataPtr full_span() {
  auto s = std::make_shared<trace::SpanData>();
  s->name = "GET /items/{sku}";
  s->context = trace::SpanContext(*trace::TraceId::from_hex(kTrace), *trace::SpanId::from_hex(kSpan),
                                  trace::TraceFlags(0x03), false, *trace::TraceState::parse("vendor=a1,other=b2"));
  s->parent_span_id = *trace::SpanId::from_hex(kParent);
  s->parent_remote = true;
  s->kind = trace::SpanKind::Server;
  s->start_time = kStart;
  s->end_time = kStart + 2500us;
  s->attributes = {{"http.request.method", "GET"},
                   {"http.response.status_code", std::int64_t{9'007'199'254'740'993}},  // beyond a double's integers
                   {"ratio", 0.25},
                   {"cached", true},
                   {"tags", std::vector<std::string>{"a", "b"}},
                   {"codes", std::vector<std::int64_t>{200, -1}},
                   {"weights", std::vector<double>{1.5, -2}},
                   {"flags", std::vector<bool>{true, false}}};
  s->dropped_attributes = 2;
  s->events = {{"exception", kStart + 1ms, {{"exception.type", "std::runtime_error"}, {"exception.message", "boom"}}, 1}};
  s->dropped_events = 3;
  s->links = {{trace::SpanContext(*trace::TraceId::from_hex(kLinkTrace), *trace::SpanId::from_hex(kLinkSpan),
                                  trace::TraceFlags(0x01), true, *trace::TraceState::parse("k=v")),
               {{"link.kind", "follows"}},
               4}};
  s->dropped_links = 5;
  s->status = {trace::StatusCode::Error, "upstream failed"};
  s->resource = std::make_shared<trace::Resource>(
      trace::Attributes{{"service.name", "inventory"}, {"service.instance.id", "i-1"}}, "https://opentelemetry.io/schemas/1.26.0");
  s->scope = std::make_shared<trace::InstrumentationScope>(
      trace::InstrumentationScope{"tracehop.instrument.http_server", "0.1.0", "https://opentelemetry.io/schemas/1.21.0",
                                  {{"scope.attr", std::int64_t{7}}}});
  return s;
}

// A root span from another scope of the same resource, with nothing optional set.
inline trace::SpanDataPtr bare_span(const trace::SpanDataPtr& like) {
  auto s = std::make_shared<trace::SpanData>();
  s->name = "bare";
  s->context = trace::SpanContext(*trace::TraceId::from_hex(kLinkTrace), *trace::SpanId::from_hex(kParent),
                                  trace::TraceFlags(0x01), false);
  s->start_time = kStart;
  s->end_time = kStart;
  s->resource = like->resource;
  s->scope = std::make_shared<trace::InstrumentationScope>(trace::InstrumentationScope{"other", "", "", {}});
  return s;
}

inline std::string any(const json::value& kv) { return json::serialize(kv.at("value")); }

// What the official decoder must read back from either encoding.
inline void expect_full_request(const json::value& request) {
  const auto& rs = request.at("resourceSpans").as_array();
  ASSERT_EQ(rs.size(), 1u);
  const auto& resource = rs[0].at("resource").at("attributes").as_array();
  ASSERT_EQ(resource.size(), 2u);
  EXPECT_EQ(resource[0].at("key"), "service.name");
  EXPECT_EQ(any(resource[0]), R"({"stringValue":"inventory"})");
  EXPECT_EQ(rs[0].at("schemaUrl"), "https://opentelemetry.io/schemas/1.26.0");
  const auto& scopes = rs[0].at("scopeSpans").as_array();
  ASSERT_EQ(scopes.size(), 2u);
  const auto& scope = scopes[0].at("scope");
  EXPECT_EQ(scope.at("name"), "tracehop.instrument.http_server");
  EXPECT_EQ(scope.at("version"), "0.1.0");
  EXPECT_EQ(any(scope.at("attributes").at(0)), R"({"intValue":"7"})");
  EXPECT_EQ(scopes[0].at("schemaUrl"), "https://opentelemetry.io/schemas/1.21.0");
  EXPECT_EQ(scopes[1].at("scope").at("name"), "other");

  const auto& span = scopes[0].at("spans").at(0);
  EXPECT_EQ(span.at("traceId"), kTrace);
  EXPECT_EQ(span.at("spanId"), kSpan);
  EXPECT_EQ(span.at("parentSpanId"), kParent);
  EXPECT_EQ(span.at("traceState"), "vendor=a1,other=b2");
  EXPECT_EQ(span.at("flags").to_number<std::int64_t>(), 0x303);  // flags 03, parent known remote
  EXPECT_EQ(span.at("name"), "GET /items/{sku}");
  EXPECT_EQ(span.at("kind"), 2);  // SERVER
  EXPECT_EQ(span.at("startTimeUnixNano"), "1700000000123456789");
  EXPECT_EQ(span.at("endTimeUnixNano"), "1700000000125956789");
  const auto& attrs = span.at("attributes").as_array();
  ASSERT_EQ(attrs.size(), 8u);
  EXPECT_EQ(any(attrs[0]), R"({"stringValue":"GET"})");
  EXPECT_EQ(any(attrs[1]), R"({"intValue":"9007199254740993"})");
  EXPECT_EQ(any(attrs[2]), R"({"doubleValue":2.5E-1})");
  EXPECT_EQ(any(attrs[3]), R"({"boolValue":true})");
  EXPECT_EQ(any(attrs[4]), R"({"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}})");
  EXPECT_EQ(any(attrs[5]), R"({"arrayValue":{"values":[{"intValue":"200"},{"intValue":"-1"}]}})");
  EXPECT_EQ(any(attrs[6]), R"({"arrayValue":{"values":[{"doubleValue":1.5E0},{"doubleValue":-2}]}})");
  EXPECT_EQ(any(attrs[7]), R"({"arrayValue":{"values":[{"boolValue":true},{"boolValue":false}]}})");
  EXPECT_EQ(span.at("droppedAttributesCount"), 2);
  const auto& event = span.at("events").at(0);
  EXPECT_EQ(event.at("name"), "exception");
  EXPECT_EQ(event.at("timeUnixNano"), "1700000000124456789");
  EXPECT_EQ(any(event.at("attributes").at(1)), R"({"stringValue":"boom"})");
  EXPECT_EQ(event.at("droppedAttributesCount"), 1);
  EXPECT_EQ(span.at("droppedEventsCount"), 3);
  const auto& link = span.at("links").at(0);
  EXPECT_EQ(link.at("traceId"), kLinkTrace);
  EXPECT_EQ(link.at("spanId"), kLinkSpan);
  EXPECT_EQ(link.at("traceState"), "k=v");
  EXPECT_EQ(link.at("flags").to_number<std::int64_t>(), 0x301);
  EXPECT_EQ(any(link.at("attributes").at(0)), R"({"stringValue":"follows"})");
  EXPECT_EQ(link.at("droppedAttributesCount"), 4);
  EXPECT_EQ(span.at("droppedLinksCount"), 5);
  EXPECT_EQ(span.at("status").at("code"), 2);  // ERROR
  EXPECT_EQ(span.at("status").at("message"), "upstream failed");

  const auto& bare = scopes[1].at("spans").at(0).as_object();
  EXPECT_FALSE(bare.contains("parentSpanId"));
  EXPECT_EQ(bare.at("flags").to_number<std::int64_t>(), 0x101);
  EXPECT_EQ(bare.at("kind"), 1);  // INTERNAL
}

}  // namespace tracehop::test
