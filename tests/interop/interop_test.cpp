// Interop with an independent implementation: the official OpenTelemetry JS SDK
// (@opentelemetry/sdk-trace-node with instrumentation-http and its propagators, pinned in
// package-lock.json; scripts/setup installs them) as the service on the other side of the hop.
// W3C trace context, B3 single and multi header, and W3C baggage, in both directions; and the
// command's services chained, one trace across three and four services.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "process.hpp"
#include "run.hpp"
#include "test_util.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/instrument/client.hpp"
#include "js_packages.hpp"
#include "tracehop_cli.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace std::chrono_literals;
using test::ChildProcess;
using test::Serve;
using test::temp_path;
namespace json = boost::json;

namespace {

// A span the Node service wrote (service.js's FileExporter).
struct NodeSpan {
  std::string trace_id, span_id, parent, name, kind;
};

// The Node service's spans so far; waits (up to 5 s) until `until` holds for them, since a
// SERVER span ends after its response has gone out.
std::vector<NodeSpan> node_spans(const std::string& path, const std::function<bool(const std::vector<NodeSpan>&)>& until) {
  std::vector<NodeSpan> spans;
  for (int i = 0; i < 250; ++i) {
    spans.clear();
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      const auto s = json::parse(line).as_object();
      spans.push_back({std::string(s.at("trace_id").as_string()), std::string(s.at("span_id").as_string()),
                       std::string(s.at("parent_span_id").as_string()), std::string(s.at("name").as_string()),
                       std::string(s.at("kind").as_string())});
    }
    if (until(spans)) break;
    std::this_thread::sleep_for(20ms);
  }
  return spans;
}

const NodeSpan* of_kind(const std::vector<NodeSpan>& spans, std::string_view kind) {
  for (const auto& s : spans)
    if (s.kind == kind) return &s;
  return nullptr;
}

// `node service.js server` with the given propagator.
class NodeServer {
 public:
  NodeServer(const std::string& propagator, const std::string& name)
      : spans_(temp_path(name + ".node.jsonl")),
        process_({"node", test::kInteropDir + "/service.js", "server"},
                 {"PROPAGATOR=" + propagator, "SPANS_FILE=" + spans_, "SERVICE_NAME=" + name}) {
    const auto line = process_.read_line(20s);
    if (!line || !line->starts_with("listening on ")) throw std::runtime_error("the Node service did not start");
    url_ = line->substr(std::string("listening on ").size());
  }
  ~NodeServer() { std::remove(spans_.c_str()); }
  const std::string& url() const { return url_; }
  const std::string& spans_file() const { return spans_; }

 private:
  std::string spans_;
  ChildProcess process_;
  std::string url_;
};

// The propagator names of each side for one format.
struct Format {
  const char* node;      // PROPAGATOR for service.js
  const char* tracehop;  // OTEL_PROPAGATORS
};

void PrintTo(const Format& format, std::ostream* out) { *out << format.node; }

class InteropTest : public ::testing::TestWithParam<Format> {};

}  // namespace

// tracehop's instrumented client calls the Node service: the Node SERVER span is the child of
// the tracehop CLIENT span, in the same trace, and the baggage arrives.
TEST_P(InteropTest, TracehopClientToNodeServer) {
  test::require_js_packages();
  NodeServer node(GetParam().node, std::string("node-") + GetParam().node);
  test::MemoryProvider memory;
  trace::set_tracer_provider(memory.provider);
  trace::set_global_propagator(trace::propagator_from_names(GetParam().tracehop));
  instrument::HttpClientInstrumentor{}.instrument();
  json::value answer;
  test::run([&]() -> asio::awaitable<void> {
    http::ClientSession session(co_await asio::this_coro::executor);
    trace::Scope bag(trace::Context::current().with_baggage(trace::Baggage{}.set("tenant", "acme")));
    auto caller = memory.tracer->start_as_current_span("caller");
    auto resp = co_await session.get(node.url() + "/hop");
    answer = co_await resp.json();
    co_await session.close();
  });
  instrument::HttpClientInstrumentor{}.uninstrument();
  trace::set_global_propagator(trace::propagator_from_names("tracecontext,baggage"));
  trace::set_tracer_provider(nullptr);

  const auto ours = memory.spans();
  const trace::SpanData* client = nullptr;
  for (const auto& s : ours)
    if (s->kind == trace::SpanKind::Client) client = s.get();
  ASSERT_TRUE(client);
  const auto spans = node_spans(node.spans_file(), [](const auto& s) { return of_kind(s, "SERVER") != nullptr; });
  const auto* server = of_kind(spans, "SERVER");
  ASSERT_TRUE(server) << "the Node service recorded no SERVER span";
  EXPECT_EQ(server->trace_id, client->context.trace_id().to_hex());
  EXPECT_EQ(server->parent, client->context.span_id().to_hex());
  EXPECT_EQ(answer.at("baggage"), (json::object{{"tenant", "acme"}}));

  const auto& headers = answer.at("headers").as_object();
  const std::string format = GetParam().node;
  EXPECT_EQ(headers.contains("traceparent"), format == "w3c");
  EXPECT_EQ(headers.contains("b3"), format == "b3");
  EXPECT_EQ(headers.contains("x-b3-traceid"), format == "b3multi");
}

// The Node SDK's instrumented client calls `tracehop serve`: the tracehop SERVER span joins the
// Node trace as the child of the Node CLIENT span.
TEST_P(InteropTest, NodeClientToTracehopServe) {
  test::require_js_packages();
  Serve serve(std::string("serve-") + GetParam().node,
              {"OTEL_TRACES_EXPORTER=none", std::string("OTEL_PROPAGATORS=") + GetParam().tracehop});
  const auto node_file = temp_path(std::string("client-") + GetParam().node + ".node.jsonl");
  auto r = test::run_command({"node", test::kInteropDir + "/service.js", "client", serve.url() + "/echo"},
                             {std::string("PROPAGATOR=") + GetParam().node, "SPANS_FILE=" + node_file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json::parse(r.out);
  EXPECT_EQ(out.at("status"), 200);
  const auto spans = node_spans(node_file, [](const auto& s) { return of_kind(s, "CLIENT") != nullptr; });
  std::remove(node_file.c_str());
  const auto* client = of_kind(spans, "CLIENT");
  ASSERT_TRUE(client);
  EXPECT_EQ(serve.stop(), 0);
  const auto ours = serve.spans();
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(ours[0].kind, 2);
  EXPECT_EQ(ours[0].name, "GET /echo");
  EXPECT_EQ(ours[0].trace_id, client->trace_id);
  EXPECT_EQ(ours[0].trace_id, out.at("trace_id").as_string());
  EXPECT_EQ(ours[0].parent, client->span_id);
}

INSTANTIATE_TEST_SUITE_P(Formats, InteropTest,
                         ::testing::Values(Format{"w3c", "tracecontext,baggage"}, Format{"b3", "b3,baggage"},
                                           Format{"b3multi", "b3multi,baggage"}),
                         [](const auto& param) { return std::string(param.param.node); });

// `tracehop fetch` -> `tracehop serve` -> `tracehop serve`: three services, one trace, each
// span the child of the one before.
TEST(Interop, ClientServeServeIsOneTrace) {
  Serve first("first"), second("second");
  const auto spans_file = temp_path("chain-fetch.jsonl");
  const std::string body = json::serialize(json::array{json::object{{"url", second.url() + "/echo"}}});
  auto r = test::run_command({test::kCli, "fetch", "-d", body, "--spans-out", spans_file, first.url() + "/test"}, test::kEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(first.stop(), 0);
  ASSERT_EQ(second.stop(), 0);
  const auto fetch = test::read_spans(spans_file);
  std::remove(spans_file.c_str());
  const auto a = first.spans(), b = second.spans();
  ASSERT_EQ(fetch.size(), 2u);  // CLIENT, then the command's root span
  ASSERT_EQ(a.size(), 2u);  // CLIENT (ends first), then SERVER
  ASSERT_EQ(b.size(), 1u);
  const auto& client = fetch[0];
  EXPECT_EQ(client.kind, 3);
  EXPECT_EQ(client.parent, fetch[1].span_id);
  const auto& a_client = a[0].kind == 3 ? a[0] : a[1];
  const auto& a_server = a[0].kind == 2 ? a[0] : a[1];
  EXPECT_EQ(a_server.service, "first");
  EXPECT_EQ(b[0].service, "second");
  for (const auto* s : {&a_server, &a_client, &b[0]}) EXPECT_EQ(s->trace_id, client.trace_id) << s->name;
  EXPECT_EQ(a_server.parent, client.span_id);
  EXPECT_EQ(a_client.parent, a_server.span_id);
  EXPECT_EQ(b[0].parent, a_client.span_id);
}

// The same chain with the Node service in the middle: tracehop -> tracehop serve -> Node ->
// tracehop serve, one trace across four services and two SDKs.
TEST(Interop, ANodeHopInTheMiddleKeepsTheTrace) {
  test::require_js_packages();
  Serve first("first-of-four"), last("last-of-four");
  NodeServer node("w3c", "node-middle");
  const auto spans_file = temp_path("four-fetch.jsonl");
  const std::string body =
      json::serialize(json::array{json::object{{"url", node.url() + "/hop?next=" + last.url() + "/items/SKU-1"}}});
  auto r = test::run_command({test::kCli, "fetch", "-d", body, "--spans-out", spans_file, first.url() + "/test"}, test::kEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto spans = node_spans(node.spans_file(), [](const auto& s) { return s.size() >= 2; });
  ASSERT_EQ(first.stop(), 0);
  ASSERT_EQ(last.stop(), 0);
  const auto fetch = test::read_spans(spans_file);
  std::remove(spans_file.c_str());
  ASSERT_EQ(fetch.size(), 2u);  // CLIENT, then the command's root span
  const auto* node_server = of_kind(spans, "SERVER");
  const auto* node_client = of_kind(spans, "CLIENT");
  ASSERT_TRUE(node_server && node_client);
  const auto a = first.spans(), z = last.spans();
  ASSERT_EQ(z.size(), 1u);
  const auto& a_client = a[0].kind == 3 ? a[0] : a[1];
  EXPECT_EQ(node_server->trace_id, fetch[0].trace_id);
  EXPECT_EQ(node_server->parent, a_client.span_id);
  EXPECT_EQ(node_client->parent, node_server->span_id);
  EXPECT_EQ(z[0].trace_id, fetch[0].trace_id);
  EXPECT_EQ(z[0].parent, node_client->span_id);
  EXPECT_EQ(z[0].name, "GET /items/{sku}");
}
