// The client against independent HTTP implementations on loopback: nginx and Python's
// aiohttp.web (Debian's nginx-light and python3-aiohttp, installed by scripts/setup).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "process.hpp"
#include "run.hpp"
#include "tracehop/http/session.hpp"
#include "tracehop/task.hpp"

#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;

using namespace tracehop;
using namespace tracehop::http;
using test::run;
using test::ChildProcess;

namespace {


// nginx on a free loopback port, with a configuration written to a temporary prefix.
class Nginx {
 public:
  Nginx() : port_(test::free_port()) {
    char tmpl[] = "/tmp/tracehop-nginx-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ / "static");
    std::ofstream(dir_ / "static" / "big.json") << "[" << std::string(5000, ' ') << "\"end\"]";
    std::ofstream conf(dir_ / "nginx.conf");
    const auto d = dir_.string();
    conf << "daemon off; master_process off; worker_processes 1;\n"
         << "error_log " << d << "/error.log; pid " << d << "/nginx.pid;\n"
         << "events { worker_connections 256; }\n"
         << "http {\n"
         << "  access_log off; default_type application/octet-stream;\n"
         << "  client_body_temp_path " << d << "/body; proxy_temp_path " << d << "/proxy;\n"
         << "  fastcgi_temp_path " << d << "/fastcgi; uwsgi_temp_path " << d << "/uwsgi;\n"
         << "  scgi_temp_path " << d << "/scgi;\n"
         << "  keepalive_timeout 30s; keepalive_requests 100000;\n"
         << "  gzip on; gzip_types application/json; gzip_min_length 100;\n"
         << "  server {\n"
         << "    listen 127.0.0.1:" << port_ << ";\n"
         << "    location = /items/SKU-9931 { default_type application/json; return 200 '{\"sku\":\"SKU-9931\"}'; }\n"
         << "    location = /redirect { return 302 /items/SKU-9931; }\n"
         << "    location = /missing-status { return 503; }\n"
         << "    location /static/ { types { application/json json; } alias " << d << "/static/; }\n"
         << "  }\n"
         << "}\n";
    conf.close();
    process_.emplace(std::vector<std::string>{"nginx", "-p", d, "-c", (dir_ / "nginx.conf").string()});
    if (!test::wait_for_port(port_, std::chrono::seconds(5))) throw std::runtime_error("nginx did not start");
  }
  ~Nginx() {
    process_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }

 private:
  unsigned short port_;
  std::filesystem::path dir_;
  std::optional<ChildProcess> process_;
};

class Aiohttp {
 public:
  Aiohttp() : process_({"/usr/bin/python3", TRACEHOP_PEERS_DIR "/aiohttp_peer.py"}) {
    const auto line = process_.read_line(std::chrono::seconds(20));
    if (!line) throw std::runtime_error("the aiohttp peer did not start");
    port_ = static_cast<unsigned short>(std::stoi(*line));
  }
  std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }

 private:
  ChildProcess process_;
  unsigned short port_ = 0;
};

}  // namespace

TEST(Nginx, KeepAliveJsonGzipRedirectAndStatus) {
  Nginx nginx;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    for (int i = 0; i < 5; ++i) {
      auto resp = co_await session.get(nginx.url("/items/SKU-9931"));
      EXPECT_EQ((co_await resp.json()).at("sku"), "SKU-9931");
    }
    EXPECT_EQ(session.pool_stats().created, 1u);
    EXPECT_EQ(session.pool_stats().reused, 4u);

    auto big = co_await session.get(nginx.url("/static/big.json"));
    EXPECT_EQ(big.headers().first("Content-Encoding"), "gzip");  // nginx compressed it
    auto body = co_await big.text();
    EXPECT_EQ(body.size(), 5007u);
    EXPECT_EQ(body.substr(body.size() - 6), "\"end\"]");

    auto redirected = co_await session.get(nginx.url("/redirect"));
    EXPECT_EQ(redirected.redirects(), 1);
    EXPECT_EQ((co_await redirected.json()).at("sku"), "SKU-9931");

    auto unavailable = co_await session.get(nginx.url("/missing-status"));
    EXPECT_EQ(unavailable.status(), 503);
    EXPECT_EQ(unavailable.reason(), "Service Temporarily Unavailable");
    EXPECT_THROW(unavailable.raise_for_status(), ClientResponseError);
    co_await session.close();
  });
}

TEST(Aiohttp, JsonChunkedGzipHeadersRedirectAndBodies) {
  Aiohttp peer;
  run([&]() -> asio::awaitable<void> {
    ClientSession session(co_await asio::this_coro::executor);
    auto item = co_await session.get(peer.url("/items/SKU-1"));
    auto j = co_await item.json();
    EXPECT_EQ(j.at("sku"), "SKU-1");
    EXPECT_EQ(j.at("server"), "aiohttp");

    auto chunked = co_await session.get(peer.url("/chunked"));
    EXPECT_EQ(chunked.headers().first("Transfer-Encoding"), "chunked");
    EXPECT_EQ(co_await chunked.text(), "part0;part1;part2;part3;part4;");
    auto streamed = co_await session.get(peer.url("/chunked"));
    std::string all;
    for (std::string piece; !(piece = co_await streamed.read_chunk()).empty();) all += piece;
    EXPECT_EQ(all, "part0;part1;part2;part3;part4;");

    auto gz = co_await session.get(peer.url("/gzip"));
    EXPECT_EQ(gz.headers().first("Content-Encoding"), "gzip");
    EXPECT_EQ((co_await gz.text()).size(), 3004u);

    RequestOptions with_headers{.headers = {{"X-Second", "2"}, {"X-First", "1"}}};
    auto h = co_await session.get(peer.url("/headers"), with_headers);
    std::vector<std::string> names;
    const auto received = co_await h.json();
    for (const auto& pair : received.as_array()) names.emplace_back(pair.as_array()[0].as_string());
    auto pos = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
    EXPECT_LT(pos("X-Second"), pos("X-First"));  // the caller's order reached the server

    auto redirected = co_await session.get(peer.url("/redirect"));
    EXPECT_EQ((co_await redirected.json()).at("sku"), "after-redirect");

    RequestOptions form{.form = QueryParams{{"a", "1"}, {"b", "two words"}}};
    auto posted = co_await session.post(peer.url("/echo"), form);
    auto echo = co_await posted.json();
    EXPECT_EQ(echo.at("body"), "a=1&b=two%20words");
    EXPECT_EQ(echo.at("content_type"), "application/x-www-form-urlencoded");

    EXPECT_EQ(session.pool_stats().created, 1u);  // all on one keep-alive connection
    co_await session.close();
  });
}
