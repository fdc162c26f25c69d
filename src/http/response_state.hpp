#pragma once
// What a Response holds (internal): its connection until the body is read, the parser, the body
// and its decoding, and the request's lifecycle signals, whose end it emits.

#include <memory>
#include <optional>
#include <string>

#include "content_encoding.hpp"
#include "deadline.hpp"
#include "connector.hpp"
#include "response_parser.hpp"
#include "signal_emitter.hpp"
#include "url_cache.hpp"
#include "wire.hpp"
#include "tracehop/http/response.hpp"

namespace tracehop::http::detail {

struct ResponseState {
  Lease lease;
  std::optional<ResponseParser> parser;  // in place: one allocation less
  HeadBuffer head;  // the request's head, while it is written (in place, as the parser's header)
  SharedUrl url;  // the request's (never null once made)
  int status = 0;
  std::string reason;
  mutable Headers headers;  // filled from the parser on first use (Response::headers)
  mutable bool headers_built = false;
  int version = 11;
  int redirects = 0;
  bool body_done = false;
  std::string body;
  Deadline deadline;  // the request's total
  std::optional<std::chrono::milliseconds> sock_read;
  bool force_close = false;
  std::size_t max_body_bytes = 0;
  std::string method;
  bool streaming = false;
  std::unique_ptr<Inflater> inflater;
  std::size_t streamed_bytes = 0;
  std::optional<Signals> signals;  // none when nobody listens (in place: no allocation)
  bool end_signalled = false;

  void signal_end(std::size_t body_bytes) noexcept {
    if (!signals || end_signalled) return;
    end_signalled = true;
    signals->emit(kRequestEnd,
                  [&](SignalContext& c) { return RequestEndParams{c, method, *url, body_bytes}; });
  }
  void signal_exception(std::exception_ptr e, bool cancelled = false) noexcept {
    if (!signals || end_signalled) return;
    end_signalled = true;
    signals->emit(kRequestException,
                  [&](SignalContext& c) { return RequestExceptionParams{c, method, *url, e, cancelled}; });
  }
  ~ResponseState() { signal_end(body.size()); }
};

/// How the exchange makes a Response and reaches its state.
struct ResponseAccess {
  static Response make(std::unique_ptr<ResponseState> state) noexcept { return Response(std::move(state)); }
  static ResponseState& state(Response& r) noexcept { return *r.state_; }
};

/// Reads a response that a retry replaces: its body if small (the connection can then be
/// reused), else the connection is closed.
boost::asio::awaitable<void> discard_small_body(Response& resp);

}  // namespace tracehop::http::detail
