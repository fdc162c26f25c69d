#pragma once
// A loopback TCP server that runs a scripted, blocking function for each connection: for the
// peers a real server never is (truncated bodies, malformed status lines, silent hangs).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tracehop::test {

class RawServer {
 public:
  using Script = std::function<void(boost::asio::ip::tcp::socket&, int connection_index)>;

  explicit RawServer(Script script, int backlog = boost::asio::socket_base::max_listen_connections)
      : acceptor_(io_), script_(std::move(script)) {
    using boost::asio::ip::tcp;
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen(backlog);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      for (int i = 0;; ++i) {
        boost::asio::ip::tcp::socket s(io_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec);
        if (ec || stopping_) return;
        reap();
        auto done = std::make_shared<std::atomic<bool>>(false);
        workers_.push_back({std::thread([this, sock = std::move(s), i, done]() mutable {
                              script_(sock, i);
                              done->store(true);
                            }),
                            done});
      }
    });
  }
  ~RawServer() {
    stopping_ = true;
    boost::system::error_code ec;
    // Wake the blocking accept with a connection of our own.
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
    for (auto& w : workers_) w.thread.join();
  }
  unsigned short port() const { return port_; }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  /// Reads one request header (up to the blank line); returns it, or "" if the peer closed.
  static std::string read_request(boost::asio::ip::tcp::socket& s) {
    boost::asio::streambuf buf;
    boost::system::error_code ec;
    boost::asio::read_until(s, buf, "\r\n\r\n", ec);
    if (ec) return {};
    return {boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data())};
  }
  static void write(boost::asio::ip::tcp::socket& s, std::string_view bytes) {
    boost::system::error_code ec;
    boost::asio::write(s, boost::asio::buffer(bytes.data(), bytes.size()), ec);
  }

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  // Joins the connections' threads that have finished, so a server that meets thousands of
  // connections does not keep thousands of ended threads.
  void reap() {
    std::erase_if(workers_, [](Worker& w) {
      if (!w.done->load()) return false;
      w.thread.join();
      return true;
    });
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Script script_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<Worker> workers_;
};

}  // namespace tracehop::test
