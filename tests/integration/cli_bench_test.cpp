// `tracehop bench` as a user runs it (README: "The `tracehop` command"): its JSON figures, each
// CLIENT span under its own bench.request span, -d, -R pacing, and bad usage, against tracehop's
// own server on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>

#include "process.hpp"
#include "server_fixture.hpp"
#include "tracehop_cli.hpp"

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::kCli;
using test::kEnv;
using test::run_command;
namespace json = boost::json;

TEST(CliBench, JsonFiguresAndEachClientSpanUnderItsOwnRequestSpan) {
  test::ServerThread server;
  std::atomic<int> served{0};
  server.server().route("GET", "/ok", [&](ServerRequest&) -> asio::awaitable<ServerResponse> {
    ++served;
    co_return ServerResponse::text(200, "ok");
  });
  server.start();
  const auto url = server.server().url() + "/ok";
  auto r = run_command({kCli, "bench", url, "-n", "60", "-c", "4", "--warmup", "5", "--json"}, kEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json::parse(r.out).as_object();
  EXPECT_EQ(out.at("requests"), 60);
  EXPECT_EQ(out.at("errors"), 0);
  for (const char* key : {"seconds", "requests_per_second", "cpu_us_per_request"}) EXPECT_GT(out.at(key).to_number<double>(), 0) << key;
  const auto& latency = out.at("latency_ms").as_object();
  EXPECT_LE(latency.at("p50").to_number<double>(), latency.at("p99").to_number<double>());
  EXPECT_LE(latency.at("p99").to_number<double>(), latency.at("max").to_number<double>());
  EXPECT_EQ(out.at("spans").at("client"), 60);  // the warm-up is untraced
  EXPECT_EQ(out.at("spans").at("under_own_request_span"), 60);
  EXPECT_EQ(served.load(), 65);

  auto untraced = run_command({kCli, "bench", url, "-n", "10", "--no-trace", "--json"}, kEnv);
  ASSERT_EQ(untraced.exit_code, 0) << untraced.err;
  EXPECT_FALSE(json::parse(untraced.out).as_object().contains("spans"));

  auto timed = run_command({kCli, "bench", url, "-d", "0.3", "-c", "2", "--sampler", "ratio:0.5"}, kEnv);
  ASSERT_EQ(timed.exit_code, 0) << timed.err;
  EXPECT_NE(timed.out.find("requests/s"), std::string::npos) << timed.out;
  EXPECT_NE(timed.out.find("p99"), std::string::npos) << timed.out;

  // -R paces the starts: the 40th of 40 requests at 200/s is due 195 ms after the first, so the
  // run cannot take less (flat out it takes a few milliseconds).
  auto paced = run_command({kCli, "bench", url, "-n", "40", "-c", "4", "-R", "200", "--json", "--no-trace"}, kEnv);
  ASSERT_EQ(paced.exit_code, 0) << paced.err;
  const auto paced_out = json::parse(paced.out).as_object();
  EXPECT_EQ(paced_out.at("requests"), 40);
  EXPECT_GE(paced_out.at("seconds").to_number<double>(), 0.195);
  EXPECT_EQ(paced_out.at("rate"), 200.0);

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"-n", "5", "-d", "1"}, {"--sampler", "ratio:2"}, {"--sampler", "sometimes"}, {"-c", "0"}, {"-R", "0"}}) {
    std::vector<std::string> argv{kCli, "bench", url};
    argv.insert(argv.end(), bad.begin(), bad.end());
    EXPECT_EQ(run_command(argv, kEnv).exit_code, 2) << bad[0] << " " << bad[1];
  }
}
