#pragma once
// A TLS server on loopback for the client's HTTPS tests, with a self-signed certificate made at
// test time by the openssl command. Blocking, one thread per connection; answers every request
// with 200 "secure" (keep-alive) until the client closes.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tracehop::test {

/// Makes a self-signed certificate and key (PEM) for `subject_alt_names`
/// ("DNS:localhost,IP:127.0.0.1"), in a fresh temporary directory.
struct TestCertificate {
  std::filesystem::path dir, cert, key;
  explicit TestCertificate(const std::string& subject_alt_names) {
    char tmpl[] = "/tmp/tracehop-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tracehop-test"
                            " -addext 'subjectAltName=" + subject_alt_names + "'"
                            " -keyout " + key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl could not make a certificate");
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }
};

class TlsServer {
 public:
  explicit TlsServer(const TestCertificate& cert)
      : ctx_(boost::asio::ssl::context::tls_server), acceptor_(io_) {
    using boost::asio::ip::tcp;
    ctx_.use_certificate_chain_file(cert.cert.string());
    ctx_.use_private_key_file(cert.key.string(), boost::asio::ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      for (;;) {
        tcp::socket s(io_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec);
        if (ec || stopping_) return;
        ++accepted_;
        workers_.emplace_back([this, sock = std::move(s)]() mutable { serve(std::move(sock)); });
      }
    });
  }
  ~TlsServer() {
    stopping_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
    for (auto& w : workers_) w.join();
  }
  unsigned short port() const { return port_; }
  int accepted() const { return accepted_; }
  /// The server name the last client sent (SNI), or "".
  std::string last_sni() const {
    std::lock_guard lk(mu_);
    return last_sni_;
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/";
  }

 private:
  void serve(boost::asio::ip::tcp::socket sock) {
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> tls(std::move(sock), ctx_);
    boost::system::error_code ec;
    tls.handshake(boost::asio::ssl::stream_base::server, ec);
    if (ec) return;  // e.g. the client rejected our certificate
    if (const char* sni = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard lk(mu_);
      last_sni_ = sni;
    }
    boost::asio::streambuf buf;
    for (;;) {
      boost::asio::read_until(tls, buf, "\r\n\r\n", ec);
      if (ec) return;
      buf.consume(buf.size());
      const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
      boost::asio::write(tls, boost::asio::buffer(resp), ec);
      if (ec) return;
    }
  }

  boost::asio::io_context io_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  mutable std::mutex mu_;
  std::string last_sni_;
  std::thread thread_;
  std::vector<std::thread> workers_;
};

}  // namespace tracehop::test
