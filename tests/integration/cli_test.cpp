// `tracehop serve` as a user runs it (README: "The `tracehop` command"): its routes, the W3C
// test-service protocol, graceful stop and the spans it writes with --spans-out, against real
// clients and servers on loopback. (fetch: cli_fetch_test.cpp; bench: cli_bench_test.cpp.)
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "process.hpp"
#include "tracehop_cli.hpp"
#include "run.hpp"
#include "recorder.hpp"
#include "server_fixture.hpp"
#include "tracehop/http/session.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using namespace std::chrono_literals;
using test::ChildProcess;
using test::run;
using test::run_command;
using test::kCli;
using test::kEnv;
using test::read_spans;
using test::Recorder;
using test::Serve;
using test::Span;
using test::temp_path;
namespace json = boost::json;

namespace {

struct Got {
  int status = 0;
  std::string body;
  json::value json;
};
Got get(const std::string& method, const std::string& url, RequestOptions o = {}) {
  Got got;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto resp = co_await session.request(method, url, o);
    got.status = resp.status();
    got.body = co_await resp.read();
    boost::system::error_code ec;
    got.json = json::parse(got.body, ec);
    co_await session.close();
  });
  return got;
}

std::string traceparent_field(const std::string& tp, int index) {  // 0 version, 1 trace, 2 parent, 3 flags
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = tp.find('-', start) + 1;
  return tp.substr(start, tp.find('-', start) - start);
}

}  // namespace

TEST(CliServe, RoutesAnswerAsDocumented) {
  Serve serve("routes");
  const auto item = get("GET", serve.url() + "/items/SKU-9931");
  EXPECT_EQ(item.status, 200);
  EXPECT_EQ(item.json.at("sku"), "SKU-9931");
  EXPECT_TRUE(item.json.at("price_cents").is_int64());

  EXPECT_EQ(get("GET", serve.url() + "/status/418").status, 418);
  EXPECT_EQ(get("GET", serve.url() + "/status/abc").status, 400);
  EXPECT_EQ(get("GET", serve.url() + "/status/99").status, 400);
  EXPECT_EQ(get("GET", serve.url() + "/delay/20").json.at("delayed_ms"), 20);
  EXPECT_EQ(get("GET", serve.url() + "/delay/-5").status, 400);
  EXPECT_EQ(get("GET", serve.url() + "/nowhere").status, 404);

  RequestOptions o;
  o.headers.add("X-B", "2");
  o.headers.add("X-A", "1");
  o.headers.add("X-B", "3");
  o.data = "hello";
  const auto echo = get("POST", serve.url() + "/echo?q=1", std::move(o));
  EXPECT_EQ(echo.json.at("method"), "POST");
  EXPECT_EQ(echo.json.at("path"), "/echo");
  EXPECT_EQ(echo.json.at("body"), "hello");
  std::vector<std::string> order;  // headers as ordered [name, value] pairs
  for (const auto& h : echo.json.at("headers").as_array())
    if (h.as_array()[0].as_string().starts_with("X-"))
      order.push_back(std::string(h.as_array()[0].as_string()) + "=" + std::string(h.as_array()[1].as_string()));
  // Fields of one name keep their order (RFC 9110 §5.3; the parser groups them, which the RFC allows).
  EXPECT_EQ(order, (std::vector<std::string>{"X-B=2", "X-B=3", "X-A=1"}));
  EXPECT_EQ(get("GET", serve.url() + "/echo").json.at("method"), "GET");
  EXPECT_EQ(get("PUT", serve.url() + "/echo").status, 405);
}

TEST(CliServe, TestServiceProtocolCallsEachUrlInOrderInsideTheServerSpan) {
  Recorder recorder;
  Serve serve("w3c");
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736", caller = "00f067aa0ba902b7";
  RequestOptions o;
  o.headers.add("traceparent", "00-" + trace_id + "-" + caller + "-01");
  o.data = json::serialize(json::array{json::object{{"url", recorder.url("/first")}, {"arguments", json::array{1, "two"}}},
                                       json::object{{"url", recorder.url("/second")}, {"arguments", json::array{}}}});
  EXPECT_EQ(get("POST", serve.url() + "/test", std::move(o)).status, 200);
  const auto calls = recorder.recorded();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/first");
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(json::parse(calls[0].body), (json::array{1, "two"}));
  EXPECT_EQ(calls[1].path, "/second");
  for (const auto& c : calls) EXPECT_EQ(traceparent_field(c.traceparent, 1), trace_id) << c.traceparent;

  EXPECT_EQ(serve.stop(), 0);
  const auto spans = serve.spans();
  const Span* server = nullptr;
  std::vector<const Span*> clients;
  for (const auto& s : spans) {
    if (s.kind == 2) server = &s;
    if (s.kind == 3) clients.push_back(&s);
  }
  ASSERT_TRUE(server);
  EXPECT_EQ(server->name, "POST /test");
  EXPECT_EQ(server->service, "w3c");
  EXPECT_EQ(server->trace_id, trace_id);
  EXPECT_EQ(server->parent, caller);  // the caller's span is the SERVER span's parent
  ASSERT_EQ(clients.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(clients[i]->parent, server->span_id);
    EXPECT_EQ(traceparent_field(calls[i].traceparent, 2), clients[i]->span_id);  // each call's parent: its CLIENT span
  }

  Serve again("w3c-bad");
  RequestOptions bad;
  bad.data = "{\"url\": 1}";
  EXPECT_EQ(get("POST", again.url() + "/test", std::move(bad)).status, 400);
}

// The baseline of bench/server-overhead: the same routes with no tracing at all, so the /test
// route's own calls carry no trace context, not even the caller's.
TEST(CliServe, NoTraceServesWithoutInstrumentation) {
  Recorder recorder;
  test::ChildProcess process({kCli, "serve", "--port", "0", "--no-trace"}, kEnv);
  const auto line = process.read_line(std::chrono::seconds(10));
  ASSERT_TRUE(line && line->starts_with("listening on http://127.0.0.1:")) << line.value_or("(nothing)");
  const std::string url = line->substr(std::string("listening on ").size());
  EXPECT_EQ(get("GET", url + "/items/SKU-9931").json.at("sku"), "SKU-9931");
  RequestOptions o;
  o.headers.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  o.data = json::serialize(json::array{json::object{{"url", recorder.url("/first")}, {"arguments", json::array{}}}});
  EXPECT_EQ(get("POST", url + "/test", std::move(o)).status, 200);
  const auto calls = recorder.recorded();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].traceparent, "");
  EXPECT_EQ(process.stop(SIGTERM), 0);

  EXPECT_EQ(run_command({kCli, "serve", "--no-trace", "--spans-out", "-"}, kEnv).exit_code, 2);  // nothing to write
}

TEST(CliServe, SigtermFinishesInFlightRequestsAndFlushesSpans) {
  Recorder recorder;
  Serve serve("graceful");
  Got answer;
  std::thread caller([&] {
    RequestOptions o;
    o.data = json::serialize(json::array{json::object{{"url", recorder.url("/hold")}}});
    answer = get("POST", serve.url() + "/test", std::move(o));
  });
  for (int i = 0; i < 500 && !recorder.held; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(recorder.held);  // serve is inside the request's handler
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  caller.join();
  EXPECT_EQ(answer.status, 200);  // the in-flight request was finished
  const auto spans = serve.spans();
  ASSERT_EQ(spans.size(), 2u);  // and its spans flushed
  EXPECT_EQ(spans[0].name, "POST");
  EXPECT_EQ(spans[1].name, "POST /test");

  Serve interrupted("sigint");
  EXPECT_EQ(interrupted.stop(SIGINT), 0);
}

// --- `tracehop serve` stays up whatever it is asked (issue 10) -----------------------------------

namespace {

unsigned short port_of(const std::string& url) { return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1))); }

// A normal request on a new connection: the server is still there.
void expect_serving(unsigned short port) {
  test::RawClient c(port);
  c.send("GET /items/alive HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.read_response();
  ASSERT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
}

}  // namespace

TEST(CliServe, EveryStatusFrom100To599IsAnsweredAndTheServerStaysUp) {
  Serve serve("statuses");
  const auto port = port_of(serve.url());
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    for (int code = 100; code <= 599; ++code) {
      RequestOptions o;
      o.allow_redirects = false;
      auto resp = co_await session.get(serve.url() + "/status/" + std::to_string(code), o);
      const auto body = co_await resp.read();
      if (code < 200) {
        EXPECT_EQ(resp.status(), 400) << code;
        EXPECT_NE(body.find("not a final status"), std::string::npos) << body;
      } else if (code == 204 || code == 205 || code == 304) {
        EXPECT_EQ(resp.status(), code);
        EXPECT_EQ(body, "") << code;
      } else {
        EXPECT_EQ(resp.status(), code);
        EXPECT_EQ(body, "status " + std::to_string(code) + "\n");
      }
      expect_serving(port);
    }
    co_await session.close();
  });
  for (int code = 100; code <= 599; ++code) {
    test::RawClient c(port);
    c.send("GET /status/" + std::to_string(code) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto r = c.read_all();
    const auto head_end = r.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << code << ": " << r;
    const auto head = r.substr(0, head_end + 2), body = r.substr(head_end + 4);
    const int expected = code < 200 ? 400 : code;
    EXPECT_EQ(head.rfind("HTTP/1.1 " + std::to_string(expected) + " ", 0), 0u) << head;
    if (code == 204 || code == 304) {
      EXPECT_EQ(body, "") << code;
      EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;  // RFC 9110 8.6
      EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
    } else if (code == 205) {
      EXPECT_EQ(body, "");
      EXPECT_NE(head.find("Content-Length: 0\r\n"), std::string::npos) << head;
    } else {
      EXPECT_NE(head.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos) << head;
    }
    expect_serving(port);
  }
  EXPECT_EQ(serve.stop(), 0);  // alive until now, and it stops cleanly
}

TEST(CliServe, HeadOnEveryRouteSendsTheHeadersOnly) {
  Serve serve("head");
  const auto port = port_of(serve.url());
  const std::vector<std::string> paths = {"/items/SKU-1", "/status/200", "/status/204", "/status/418",
                                          "/delay/1",     "/echo",       "/test",       "/nothing/here"};
  test::RawClient c(port);
  for (const auto& path : paths) {
    c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto get = c.read_response();
    // The same connection: a body sent after a HEAD answer would be read as the next response.
    c.send("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto head = c.read_head();
    const auto get_head = get.substr(0, get.find("\r\n\r\n") + 4);
    EXPECT_TRUE(head.ends_with("\r\n\r\n")) << path << ": " << head;
    EXPECT_EQ(head.substr(0, 12), get_head.substr(0, 12)) << path;  // the same status
    if (path == "/echo") continue;  // echoes the request, so its length follows the method
    const auto length = get_head.find("Content-Length:");
    if (length != std::string::npos) {
      const auto field = get_head.substr(length, get_head.find("\r\n", length) - length);
      EXPECT_NE(head.find(field), std::string::npos) << path << ": " << head;
    }
  }
  c.send("HEAD /test HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto not_allowed = c.read_head();
  EXPECT_EQ(not_allowed.rfind("HTTP/1.1 405", 0), 0u) << not_allowed;
  EXPECT_NE(not_allowed.find("Allow: POST\r\n"), std::string::npos) << not_allowed;
  c.send("GET /items/last HTTP/1.1\r\nHost: x\r\n\r\n");  // no body of a HEAD answer is in the way
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  expect_serving(port);
  EXPECT_EQ(serve.stop(), 0);
}

// Listening: a port in use is one plain line and exit 1; a host name resolves.
TEST(CliServe, APortInUseSaysSoAndAHostNameResolves) {
  Serve first("first-on-port");
  const auto port = std::to_string(port_of(first.url()));
  const auto taken = run_command({kCli, "serve", "--port", port}, kEnv);
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_EQ(taken.err, "tracehop: cannot listen on 127.0.0.1:" + port + ": Address already in use\n");
  EXPECT_EQ(first.stop(), 0);

  ChildProcess named({kCli, "serve", "--port", "0", "--host", "localhost"}, kEnv);
  const auto line = named.read_line(10s);
  ASSERT_TRUE(line);
  ASSERT_TRUE(line->starts_with("listening on http://localhost:")) << *line;
  const auto url = line->substr(std::string("listening on ").size());
  EXPECT_EQ(get("GET", url + "/items/A1").json.at("sku"), "A1");
  EXPECT_EQ(named.stop(SIGTERM), 0);
}

// --access-log: a line per request with the method, target, status, duration and trace id.
TEST(CliServe, TheAccessLogHasALinePerRequestWithItsTraceId) {
  const auto spans_file = temp_path("access.jsonl");
  ChildProcess serve({kCli, "serve", "--port", "0", "--access-log", "--spans-out", spans_file}, kEnv, true);
  const auto line = serve.read_line(10s);
  ASSERT_TRUE(line);
  const auto url = line->substr(std::string("listening on ").size());
  EXPECT_EQ(get("GET", url + "/items/A1?x=1").status, 200);
  EXPECT_EQ(get("GET", url + "/status/503").status, 503);
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  const auto spans = read_spans(spans_file);
  std::remove(spans_file.c_str());
  ASSERT_EQ(spans.size(), 2u);
  std::istringstream log(serve.err());
  std::vector<std::string> lines;
  for (std::string l; std::getline(log, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 2u) << serve.err();
  const std::regex format(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (GET \S+ \d{3}) \d+\.\d{3} ms ([0-9a-f]{32}))");
  const std::pair<std::string, std::string> expected[] = {{"GET /items/A1?x=1 200", spans[0].trace_id},
                                                          {"GET /status/503 503", spans[1].trace_id}};
  for (std::size_t i = 0; i < 2; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, format)) << lines[i];
    EXPECT_EQ(m[1], expected[i].first);
    EXPECT_EQ(m[2], expected[i].second);  // the SERVER span's trace
  }

  // Off unless asked (stderr is not a terminal here).
  ChildProcess quiet({kCli, "serve", "--port", "0"}, kEnv, true);
  const auto quiet_line = quiet.read_line(10s);
  ASSERT_TRUE(quiet_line);
  EXPECT_EQ(get("GET", quiet_line->substr(std::string("listening on ").size()) + "/items/A1").status, 200);
  EXPECT_EQ(quiet.stop(SIGTERM), 0);
  EXPECT_EQ(quiet.err(), "");
}

// /echo answers valid JSON whatever the bytes: a body that is not UTF-8 in base64, a header's
// obs-text read as ISO-8859-1.
TEST(CliServe, EchoAnswersValidJsonForAnyBytes) {
  Serve serve("echo-bytes");
  RequestOptions binary;
  binary.data = std::string("\xff\xfe\x00\x01", 4);
  binary.headers.add("X-Latin", "caf\xe9");
  const auto b = get("POST", serve.url() + "/echo", std::move(binary));
  ASSERT_TRUE(b.json.is_object()) << b.body;  // it parsed
  EXPECT_EQ(b.json.at("body_base64"), "//4AAQ==");
  EXPECT_FALSE(b.json.as_object().contains("body"));
  bool seen = false;
  for (const auto& h : b.json.at("headers").as_array())
    if (h.at(0) == "X-Latin") seen = (h.at(1) == "caf\u00e9");
  EXPECT_TRUE(seen) << b.body;
  RequestOptions text;
  text.data = "h\xc3\xa9llo";  // UTF-8 stays text
  const auto t = get("POST", serve.url() + "/echo", std::move(text));
  EXPECT_EQ(t.json.at("body"), "h\u00e9llo");
  for (const char* cut : {"\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf"}) {  // cut, surrogate, > U+10FFFF, overlong
    RequestOptions bad;
    bad.data = cut;
    const auto r = get("POST", serve.url() + "/echo", std::move(bad));
    EXPECT_TRUE(r.json.as_object().contains("body_base64")) << r.body;
  }
  EXPECT_EQ(serve.stop(), 0);
  const auto help = run_command({kCli, "serve", "--help"}, kEnv);
  for (const char* route : {"GET /items/{sku}", "GET /status/{code}", "GET /delay/{ms}", "GET|POST /echo", "POST /test"})
    EXPECT_NE(help.out.find(route), std::string::npos) << route;
}

// `demo --exporter console`: the story first, then every span as JSON, never interleaved.
TEST(CliDemo, TheConsoleExportersSpansComeAfterTheStory) {
  const auto r = run_command({kCli, "demo", "--exporter", "console"}, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto story_end = r.out.find("Every span as the console exporter writes it");
  ASSERT_NE(story_end, std::string::npos) << r.out;
  EXPECT_GT(r.out.find("{\n    \"name\""), story_end);  // the first span's JSON
  EXPECT_LT(r.out.find("The traces as timelines"), story_end);
  std::size_t spans = 0;
  for (auto at = r.out.find("\n    \"name\": "); at != std::string::npos; at = r.out.find("\n    \"name\": ", at + 1)) ++spans;
  EXPECT_EQ(spans, 26u);  // every span of the three traces
}

// `demo` with OTEL_METRICS_EXPORTER=prometheus: the gateway serves the port (printed), the two
// other services of the process do not try to (they would fail to listen on it).
TEST(CliDemo, PrometheusIsServedOnceForTheGateway) {
  std::uint16_t port = 0;  // a port free a moment ago (one port for all: the case that failed)
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  const auto r = run_command({kCli, "demo"}, {"OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=prometheus",
                                              "OTEL_EXPORTER_PROMETHEUS_HOST=127.0.0.1",
                                              "OTEL_EXPORTER_PROMETHEUS_PORT=" + std::to_string(port)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("could not be started"), std::string::npos) << r.err;
  const std::string served = "  metrics    http://127.0.0.1:" + std::to_string(port) + "/metrics";
  EXPECT_NE(r.out.find(served), std::string::npos) << r.out.substr(0, 600);
}
