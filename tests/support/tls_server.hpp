#pragma once
// A TLS server on loopback for the client's HTTPS tests, with a self-signed certificate made at
// test time by the openssl command. Blocking, one thread per connection (a RawServer); answers
// every request with 200 "secure" (keep-alive) until the client closes.

#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "raw_server.hpp"

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

/// How a scripted TlsServer ends each connection after its one answer.
enum class TlsEnd { CloseNotify, Truncate };

/// Built on RawServer: the script of each connection is a TLS handshake and a request loop; or,
/// given `answer`, one request answered with those bytes and the connection ended: with TLS's
/// close_notify first, or truncated (the TCP connection closed without it).
class TlsServer {
 public:
  explicit TlsServer(const TestCertificate& cert) : TlsServer(cert, std::nullopt, TlsEnd::CloseNotify) {}
  TlsServer(const TestCertificate& cert, std::optional<std::string> answer, TlsEnd end)
      : ctx_(boost::asio::ssl::context::tls_server), answer_(std::move(answer)), end_(end) {
    ctx_.use_certificate_chain_file(cert.cert.string());
    ctx_.use_private_key_file(cert.key.string(), boost::asio::ssl::context::pem);
    raw_.emplace([this](boost::asio::ip::tcp::socket& s, int) {
      ++accepted_;
      serve(std::move(s));
    });
  }
  unsigned short port() const { return raw_->port(); }
  int accepted() const { return accepted_; }
  /// The server name the last client sent (SNI), or "".
  std::string last_sni() const {
    std::lock_guard lk(mu_);
    return last_sni_;
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port()) + "/";
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
    if (answer_) {
      boost::asio::read_until(tls, buf, "\r\n\r\n", ec);
      if (ec) return;
      boost::asio::write(tls, boost::asio::buffer(*answer_), ec);
      if (end_ == TlsEnd::CloseNotify) tls.shutdown(ec);  // (waits for the client's reply, or its close)
      tls.lowest_layer().close(ec);
      return;
    }
    for (;;) {
      boost::asio::read_until(tls, buf, "\r\n\r\n", ec);
      if (ec) return;
      buf.consume(buf.size());
      const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
      boost::asio::write(tls, boost::asio::buffer(resp), ec);
      if (ec) return;
    }
  }

  boost::asio::ssl::context ctx_;
  const std::optional<std::string> answer_;
  const TlsEnd end_;
  std::atomic<int> accepted_{0};
  mutable std::mutex mu_;
  std::string last_sni_;
  std::optional<RawServer> raw_;  // last: it joins its threads before the rest goes
};

}  // namespace tracehop::test
