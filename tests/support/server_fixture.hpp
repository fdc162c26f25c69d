#pragma once
// A tracehop::http::Server on an ephemeral loopback port, run by its own thread, and a raw
// blocking TCP client for sending exactly the bytes a test wants.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tracehop/http/server.hpp"
#include "tracehop/task.hpp"

namespace asio = boost::asio;

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
  /// Aborts the connection: the peer gets a TCP reset, not an orderly close.
  void reset() {
    boost::system::error_code ec;
    socket_.set_option(asio::socket_base::linger(true, 0), ec);
    socket_.close(ec);
  }
  /// Reads until the peer closes (or `max` bytes, or an error).
  std::string read_all(std::size_t max = 1 << 20) {
    while (pending_.size() < max && fill()) {
    }
    return take(std::min(max, pending_.size()));
  }
  /// Reads one response whose body is delimited by Content-Length (none: no body).
  std::string read_response() {
    for (;;) {
      const auto header_end = pending_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::size_t length = 0;
        const auto cl = pending_.find("Content-Length: ");
        if (cl != std::string::npos && cl < header_end) length = std::stoul(pending_.substr(cl + 16));
        if (pending_.size() >= header_end + 4 + length) return take(header_end + 4 + length);
      }
      if (!fill()) return take(pending_.size());
    }
  }
  /// Reads one response head (status line and fields), leaving what follows to the next read: the
  /// answer to HEAD, whose Content-Length describes a body that is not sent.
  std::string read_head() {
    for (;;) {
      if (const auto end = pending_.find("\r\n\r\n"); end != std::string::npos) return take(end + 4);
      if (!fill()) return take(pending_.size());
    }
  }

 private:
  bool fill() {
    char buf[4096];
    boost::system::error_code ec;
    const auto n = socket_.read_some(asio::buffer(buf), ec);
    if (ec) return false;
    pending_.append(buf, n);
    return true;
  }
  std::string take(std::size_t n) {
    std::string out = pending_.substr(0, n);
    pending_.erase(0, n);
    return out;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::string pending_;  // read, not yet returned
};

}  // namespace tracehop::test
