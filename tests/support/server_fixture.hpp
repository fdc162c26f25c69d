#pragma once
// A tracehop::http::Server on an ephemeral loopback port, run by its own thread, and a raw
// blocking TCP client for sending exactly the bytes a test wants.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tracehop/http/server.hpp"
#include "tracehop/http/task.hpp"

namespace tracehop::test {

class ServerThread {
 public:
  explicit ServerThread(http::ServerOptions options = {})
      : work_(io_.get_executor()), server_(io_.get_executor(), std::move(options)) {}
  ~ServerThread() { stop(); }

  http::Server& server() { return server_; }
  void start() {
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    auto done = asio::co_spawn(io_, server_.stop(), asio::use_future);
    done.wait_for(std::chrono::seconds(10));
    work_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }
  unsigned short port() const { return server_.port(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  http::Server server_;
  std::thread thread_;
};

/// Blocking raw TCP: connect, send bytes, read what comes back.
class RawClient {
 public:
  explicit RawClient(unsigned short port, const char* host = "127.0.0.1") : socket_(io_) {
    socket_.connect({asio::ip::make_address(host), port});
  }
  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }
  /// Reads until the peer closes (or `max` bytes, or an error).
  std::string read_all(std::size_t max = 1 << 20) {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (out.size() < max) {
      const auto n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
  /// Reads one response whose body is delimited by Content-Length.
  std::string read_response() {
    std::string out;
    char buf[4096];
    for (;;) {
      const auto header_end = out.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::size_t length = 0;
        const auto cl = out.find("Content-Length: ");
        if (cl != std::string::npos && cl < header_end) length = std::stoul(out.substr(cl + 16));
        if (out.size() >= header_end + 4 + length) return out.substr(0, header_end + 4 + length);
      }
      boost::system::error_code ec;
      const auto n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) return out;
      out.append(buf, n);
    }
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

}  // namespace tracehop::test
