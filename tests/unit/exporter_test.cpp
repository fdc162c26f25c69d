#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "test_util.hpp"
#include "tracehop/otlp/json.hpp"

using namespace tracehop::trace;
using tracehop::otlp::OtlpJsonFileExporter;
using tracehop::otlp::to_otlp_json;
namespace json = boost::json;

namespace {

std::vector<SpanDataPtr> sample_spans() {
  tracehop::test::MemoryProvider p(
      {.resource = Resource(Attributes{{"service.name", "checkout-gateway"}, {"deployment.env", "test"}})});
  auto remote = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  {
    auto parent = p.tracer->start_as_current_span("check-inventory",
                                                  {.parent = Context{}.with_span(Span(remote))});
    auto client = p.tracer->start_span("GET", {.kind = SpanKind::Client,
                                               .attributes = {{"http.method", "GET"},
                                                              {"http.status_code", 200},
                                                              {"ratio", 0.5},
                                                              {"ok", true},
                                                              {"tags", {"a", "b"}},
                                                              {"big", std::int64_t{1} << 60}}});
    client.add_event("retry", {{"attempt", 2}});
    client.add_link(remote, {{"kind", "cause"}});
    client.set_status(StatusCode::Error, "upstream 503");
    client.end();
  }
  return p.spans();
}

}  // namespace

TEST(ConsoleExporter, PrettyJsonLikeTheGuide) {
  auto spans = sample_spans();
  std::ostringstream out;
  ConsoleSpanExporter exp(out);
  ASSERT_EQ(exp.export_spans(std::span<const SpanDataPtr>(spans.data(), 1)), ExportResult::Success);
  const auto text = out.str();
  EXPECT_NE(text.find("\n    \"name\": \"GET\""), std::string::npos) << text;
  auto v = json::parse(text);
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("kind").as_string(), "SpanKind.CLIENT");
  EXPECT_EQ(o.at("context").at("trace_id").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(o.at("parent_id").as_string().size(), 16u);
  EXPECT_EQ(o.at("attributes").at("http.status_code").as_int64(), 200);
  EXPECT_EQ(o.at("attributes").at("tags").as_array().size(), 2u);
  EXPECT_EQ(o.at("status").at("status_code").as_string(), "ERROR");
  EXPECT_EQ(o.at("events").as_array().at(0).at("name").as_string(), "retry");
  EXPECT_EQ(o.at("links").as_array().size(), 1u);
  EXPECT_EQ(o.at("resource").at("attributes").at("service.name").as_string(), "checkout-gateway");
  EXPECT_EQ(o.at("start_time").as_string().back(), 'Z');
}

TEST(OtlpJson, OneRequestGroupedByResourceAndScope) {
  auto spans = sample_spans();
  auto line = to_otlp_json(spans);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto v = json::parse(line);
  const auto& rs = v.at("resourceSpans").as_array();
  ASSERT_EQ(rs.size(), 1u);
  const auto& res_attrs = rs[0].at("resource").at("attributes").as_array();
  bool found = false;
  for (const auto& kv : res_attrs)
    if (kv.at("key") == "service.name") found = kv.at("value").at("stringValue") == "checkout-gateway";
  EXPECT_TRUE(found);
  const auto& ss = rs[0].at("scopeSpans").as_array();
  ASSERT_EQ(ss.size(), 1u);
  EXPECT_EQ(ss[0].at("scope").at("name"), "test");
  EXPECT_EQ(ss[0].at("scope").at("version"), "1.0");
  const auto& sp = ss[0].at("spans").as_array();
  ASSERT_EQ(sp.size(), 2u);
  const auto& client = sp[0].as_object();
  EXPECT_EQ(client.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");  // lowercase hex
  EXPECT_EQ(client.at("spanId").as_string().size(), 16u);
  EXPECT_EQ(client.at("parentSpanId"), sp[1].at("spanId"));
  EXPECT_EQ(client.at("kind").as_int64(), 3);  // CLIENT, as an integer
  EXPECT_TRUE(client.at("startTimeUnixNano").is_string());  // 64-bit integers as strings
  EXPECT_EQ(client.at("status").at("code").as_int64(), 2);
  EXPECT_EQ(client.at("status").at("message"), "upstream 503");
  // Span.flags: W3C flags (sampled; the remote parent had no random flag), 0x100 "remote known",
  // 0x200 "parent is remote": the client's parent is local, check-inventory's is remote.
  EXPECT_EQ(client.at("flags").as_int64(), 0x101);
  EXPECT_EQ(sp[1].at("flags").as_int64(), 0x301);
  for (const auto& kv : client.at("attributes").as_array()) {
    const auto& val = kv.at("value").as_object();
    const auto key = kv.at("key").as_string();
    if (key == "http.status_code") {
      EXPECT_EQ(val.at("intValue"), "200");
    }
    if (key == "big") {
      EXPECT_EQ(val.at("intValue"), "1152921504606846976");
    }
    if (key == "ratio") {
      EXPECT_EQ(val.at("doubleValue").as_double(), 0.5);
    }
    if (key == "ok") {
      EXPECT_EQ(val.at("boolValue").as_bool(), true);
    }
    if (key == "tags") {
      EXPECT_EQ(val.at("arrayValue").at("values").as_array().at(1).at("stringValue"), "b");
    }
  }
  EXPECT_EQ(client.at("events").as_array().at(0).at("attributes").as_array().at(0).at("value").at("intValue"), "2");
  EXPECT_EQ(client.at("links").as_array().at(0).at("spanId"), "00f067aa0ba902b7");
}

TEST(OtlpJson, StringsAreEscapedAndOddDoublesFollowTheProtobufMapping) {
  auto s = std::make_shared<SpanData>();
  const std::string odd = std::string("quote \" backslash \\ newline \n tab \t bell \x07 nul ") + '\0' + " \xC3\xA9";
  s->name = odd;
  s->attributes = {{"text", odd},
                   {"nan", std::numeric_limits<double>::quiet_NaN()},
                   {"inf", -std::numeric_limits<double>::infinity()},
                   {"small", 1e-300},
                   {"whole", 3.0},
                   {"min", std::numeric_limits<std::int64_t>::min()},
                   {"long", std::string(1500, 'x') + "\"" + std::string(1500, 'y')}};
  const auto line = to_otlp_json(std::vector<SpanDataPtr>{s});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto span = json::parse(line).at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("name").as_string(), odd);
  const auto& attrs = span.at("attributes").as_array();
  EXPECT_EQ(attrs.at(0).at("value").at("stringValue").as_string(), odd);
  EXPECT_EQ(attrs.at(1).at("value").at("doubleValue"), "NaN");
  EXPECT_EQ(attrs.at(2).at("value").at("doubleValue"), "-Infinity");
  EXPECT_EQ(attrs.at(3).at("value").at("doubleValue").as_double(), 1e-300);
  EXPECT_EQ(attrs.at(4).at("value").at("doubleValue").to_number<double>(), 3.0);
  EXPECT_EQ(attrs.at(5).at("value").at("intValue"), "-9223372036854775808");
  EXPECT_EQ(attrs.at(6).at("value").at("stringValue").as_string(), std::string(1500, 'x') + "\"" + std::string(1500, 'y'));
  EXPECT_TRUE(span.at("events").as_array().empty());
  EXPECT_TRUE(span.at("status").as_object().empty());  // unset, no message
}

TEST(OtlpJsonFileExporter, AppendsOneLinePerExport) {
  auto path = std::filesystem::temp_directory_path() / ("tracehop-spans-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(path);
  auto spans = sample_spans();
  {
    OtlpJsonFileExporter exp(path.string());
    EXPECT_EQ(exp.export_spans(std::span<const SpanDataPtr>(spans.data(), 1)), ExportResult::Success);
    EXPECT_EQ(exp.export_spans(std::span<const SpanDataPtr>(spans.data() + 1, 1)), ExportResult::Success);
    EXPECT_TRUE(exp.shutdown(std::chrono::seconds(1)));
    EXPECT_EQ(exp.export_spans(spans), ExportResult::Failure);
  }
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_TRUE(json::parse(line).as_object().contains("resourceSpans"));
  }
  EXPECT_EQ(lines, 2);
  std::filesystem::remove(path);
}

TEST(OtlpJsonFileExporter, UnopenableFileThrowsClearError) {
  try {
    OtlpJsonFileExporter exp("/nonexistent-dir/spans.jsonl");
    FAIL() << "expected an exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/spans.jsonl"), std::string::npos);
  }
}

TEST(InMemoryExporter, KeepsSpansUntilCleared) {
  tracehop::test::MemoryProvider p;
  p.tracer->start_span("a").end();
  EXPECT_EQ(p.exporter->finished_spans().size(), 1u);
  p.exporter->clear();
  EXPECT_TRUE(p.exporter->finished_spans().empty());
}
