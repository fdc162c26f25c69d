#pragma once
// Response: a response whose headers are in, its body read on demand (whole, as JSON, or in
// pieces as it arrives), as aiohttp's ClientResponse.
//
//   auto resp = co_await session.get(url);
//   resp.raise_for_status();          // ClientResponseError for >= 400
//   auto item = co_await resp.json(); // or read(), text(), read_chunk()

#include "tracehop/asio_config.hpp"  // first: it checks how Asio is configured

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string>

#include "tracehop/http/headers.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http {

namespace detail {
struct ResponseState;
struct ResponseAccess;
}  // namespace detail

/// A response whose headers are in. The body is read on demand; the connection goes back to
/// the pool once the body is read to its end, and is closed if the Response is destroyed
/// before that.
class Response {
 public:
  /// An empty response (status 0): what asio hands over beside an exception.
  Response() noexcept;
  Response(Response&&) noexcept;
  Response& operator=(Response&&) noexcept;
  ~Response();

  int status() const noexcept;
  const std::string& reason() const noexcept;
  const Headers& headers() const noexcept;
  /// The final URL (after redirects).
  const Url& url() const noexcept;
  /// 10 or 11.
  int version() const noexcept;
  bool ok() const noexcept { return status() < 400; }
  /// How many redirects led here.
  int redirects() const noexcept;

  /// The whole body (once; later calls return the same bytes).
  boost::asio::awaitable<std::string> read();
  boost::asio::awaitable<std::string> text() { return read(); }
  /// The body parsed as JSON; ClientPayloadError if it is not JSON.
  boost::asio::awaitable<boost::json::value> json();
  /// Streams the body: the next piece of it (decoded), as it arrives; "" once it is all read.
  /// read() after read_chunk() returns the rest.
  boost::asio::awaitable<std::string> read_chunk();

  /// Throws ClientResponseError for a status >= 400.
  void raise_for_status() const;
  /// Gives the connection back now: reused if the body was read to its end, else closed.
  void release() noexcept;

 private:
  friend struct detail::ResponseAccess;
  explicit Response(std::unique_ptr<detail::ResponseState> state) noexcept;
  const detail::ResponseState& state() const noexcept;
  std::unique_ptr<detail::ResponseState> state_;
};

}  // namespace tracehop::http
