#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <charconv>

#include "response_state.hpp"
#include "wire.hpp"

namespace tracehop::http {

namespace asio = boost::asio;

Response::Response() noexcept = default;
Response::Response(std::unique_ptr<detail::ResponseState> state) noexcept : state_(std::move(state)) {}

const detail::ResponseState& Response::state() const noexcept {
  static const detail::ResponseState empty;
  return state_ ? *state_ : empty;
}
Response::Response(Response&&) noexcept = default;
Response& Response::operator=(Response&&) noexcept = default;
Response::~Response() = default;  // an unread body: the Lease closes the connection

int Response::status() const noexcept { return state().status; }
const std::string& Response::reason() const noexcept { return state().reason; }
const Headers& Response::headers() const noexcept {
  const auto& st = state();
  // Built on first use from the parsed message: most callers never look at every field.
  if (!st.headers_built && st.parser) {
    st.parser->each_field([&](std::string_view n, std::string_view v) { st.headers.add(n, v); });
    st.headers_built = true;
  }
  return st.headers;
}
const Url& Response::url() const noexcept { return *state().url; }
int Response::version() const noexcept { return state().version; }
int Response::redirects() const noexcept { return state().redirects; }

namespace detail {
namespace {

// Reads more of the body into the parser, within sock_read and the total deadline; throws the
// typed error for what went wrong.
asio::awaitable<void> read_some(ResponseState& st) {
  auto& conn = st.lease.connection();
  const Deadline limit = st.deadline.sooner(st.sock_read, TimeoutKind::SockRead);
  limit.arm(conn.tcp(), [&] { return "reading from " + conn.origin.host_header(); });
  if (const auto ec = co_await read_response(conn, *st.parser, Until::More))
    throw_io_error(ec, limit, conn.origin, *st.url, true);
}

// The body is in: the connection goes back to the pool if the server keeps it open.
void give_back_connection(ResponseState& st) {
  st.lease.connection().tcp().expires_never();
  st.lease.release(st.parser->keep_alive() && !st.force_close);
}

}  // namespace
}  // namespace detail

asio::awaitable<std::string> Response::read() {
  if (!state_) throw ClientPayloadError("an empty response has no body");
  auto& st = *state_;
  if (st.streaming) {  // read_chunk() began: the rest of the stream
    std::string rest;
    for (std::string piece; !(piece = co_await read_chunk()).empty();) rest += piece;
    co_return rest;
  }
  if (!st.body_done) {
    if (!st.lease) throw ClientPayloadError("the response was released before its body was read");
    auto& parser = *st.parser;
    std::string body;
    try {
      while (!parser.is_done()) co_await detail::read_some(st);
      body = std::move(parser.body());
      detail::give_back_connection(st);  // the connection is done with, whatever decoding finds
      if (const auto encoding = parser.field("Content-Encoding"); encoding && !encoding->empty())
        body = detail::decode_content(std::move(body), *encoding, st.max_body_bytes);
    } catch (...) {
      st.lease.release(false);  // (nothing left to release if decoding failed)
      st.signal_exception(std::current_exception());
      detail::rethrow_naming_request(std::current_exception(), st.method, st.url->buffer());
    }
    st.body = std::move(body);
    st.body_done = true;
    st.signal_end(st.body.size());
  }
  co_return st.body;
}

asio::awaitable<std::string> Response::read_chunk() {
  if (!state_) throw ClientPayloadError("an empty response has no body");
  auto& st = *state_;
  if (st.body_done) co_return std::string{};
  if (!st.lease) throw ClientPayloadError("the response was released before its body was read");
  auto& parser = *st.parser;
  try {
    if (!st.streaming) {
      st.streaming = true;
      st.inflater = detail::Inflater::for_encoding(parser.field("Content-Encoding").value_or(""));
    }
    for (;;) {
      // What the parser holds already (the header read may have brought body bytes along).
      std::string raw = std::move(parser.body());
      parser.body().clear();
      std::string out = st.inflater ? st.inflater->feed(raw) : std::move(raw);
      st.streamed_bytes += out.size();
      if (st.streamed_bytes > st.max_body_bytes)
        throw ClientPayloadError("response body from " + std::string(st.url->buffer()) + " exceeds " +
                                 std::to_string(st.max_body_bytes) + " bytes");
      if (!out.empty()) co_return out;
      if (parser.is_done()) {
        if (st.inflater) st.inflater->finish();
        detail::give_back_connection(st);
        st.body_done = true;
        st.signal_end(st.streamed_bytes);
        co_return std::string{};
      }
      co_await detail::read_some(st);
    }
  } catch (...) {
    st.lease.release(false);
    st.signal_exception(std::current_exception());
    detail::rethrow_naming_request(std::current_exception(), st.method, st.url->buffer());
  }
}

asio::awaitable<boost::json::value> Response::json() {
  const std::string body = co_await read();
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) throw ClientPayloadError("response body from " + std::string(state_->url->buffer()) + " is not JSON: " + ec.message());
  co_return v;
}

void Response::raise_for_status() const {
  if (status() >= 400) throw ClientResponseError(status(), reason(), std::string(url().buffer()));
}

void Response::release() noexcept {
  if (state_ && state_->lease) state_->lease.release(state_->body_done);
}

namespace detail {

asio::awaitable<void> discard_small_body(Response& resp) {
  constexpr std::size_t kDrainable = 64 * 1024;
  std::size_t length = kDrainable + 1;
  if (const auto cl = resp.headers().first("Content-Length")) {
    const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (ec != std::errc{} || end != cl->data() + cl->size()) length = kDrainable + 1;
  }
  if (length > kDrainable) {
    resp.release();
    co_return;
  }
  try {
    co_await resp.read();
  } catch (const ClientError&) {
    // nothing of it is used: the connection is closed, the retry goes on
  }
}

}  // namespace detail

}  // namespace tracehop::http
