#pragma once
// Lifecycle signals of the client, like aiohttp's TraceConfig: what an instrumentation (or a
// log, or a metric) subscribes to. The client knows nothing of tracing; it calls these.
//
// Unlike aiohttp, request signals fire per *physical* request: each redirect hop and each retry
// on a fresh connection is a request of its own (with its resend count), so an instrumentation
// can give each its own span. Callbacks run synchronously on the request's task, must be quick,
// and must not throw (an exception is logged and dropped). With no TraceConfig, a request pays
// for one empty-vector check.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracehop/http/request_headers.hpp"
#include "tracehop/http/url.hpp"

namespace tracehop::http {

class Response;

/// Per physical request and per TraceConfig: where a subscriber keeps its own state (its span)
/// from request start to end. Holds one value of any type: in place, without allocating, when
/// it has at most kInPlace bytes and no alignment above max_align_t.
class SignalContext {
 public:
  static constexpr std::size_t kInPlace = 96;

  SignalContext() noexcept = default;
  SignalContext(const SignalContext&) = delete;
  SignalContext& operator=(const SignalContext&) = delete;
  ~SignalContext() { reset(); }

  /// Replaces the value with a T made from `args`.
  template <class T, class... Args>
  T& emplace(Args&&... args) {
    reset();
    T* p;
    if constexpr (in_place<T>)
      p = ::new (static_cast<void*>(buffer_)) T(std::forward<Args>(args)...);
    else
      p = new T(std::forward<Args>(args)...);
    value_ = p;
    destroy_ = [](void* v) noexcept {
      if constexpr (in_place<T>)
        static_cast<T*>(v)->~T();
      else
        delete static_cast<T*>(v);
    };
    type_ = &type_tag<T>;
    return *p;
  }
  /// The value if it is a T, else nullptr.
  template <class T>
  T* get() noexcept {
    return type_ == &type_tag<T> ? static_cast<T*>(value_) : nullptr;
  }
  template <class T>
  const T* get() const noexcept {
    return type_ == &type_tag<T> ? static_cast<const T*>(value_) : nullptr;
  }
  bool has_value() const noexcept { return value_ != nullptr; }
  void reset() noexcept {
    if (value_) destroy_(value_);
    value_ = nullptr;
    type_ = nullptr;
  }

 private:
  template <class T>
  static constexpr bool in_place = sizeof(T) <= kInPlace && alignof(T) <= alignof(std::max_align_t);
  template <class T>
  static constexpr char type_tag = 0;  // its address names T

  alignas(std::max_align_t) unsigned char buffer_[kInPlace];
  void* value_ = nullptr;
  void (*destroy_)(void*) noexcept = nullptr;
  const char* type_ = nullptr;
};

struct RequestStartParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  RequestHeaders& headers;  // this hop's: injection happens here (the request's own stay as they are)
  int resend_count;  // 0 for the first request of a request() call; +1 per redirect hop or retry
  bool trace;        // RequestOptions::trace: false asks instrumentation to record nothing
  const Origin& origin;  // the url's scheme, host and port
};

struct RequestHeadersSentParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  const RequestHeaders& headers;  // as sent
};

struct ResponseHeadersParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  const Response& response;
};

struct RequestEndParams {  // the response body was read to its end (or there was none)
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  std::size_t body_bytes;
};

struct RequestExceptionParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  std::exception_ptr exception;
  bool cancelled;  // the caller cancelled the request (not an error)
};

struct RedirectParams {
  SignalContext& ctx;
  std::string_view method;
  const Url& url;
  const Response& response;
  const Url& location;
};

struct ConnectionParams {
  SignalContext& ctx;
  const Origin& origin;
  /// On the *_end signals: how long the step took.
  std::chrono::nanoseconds elapsed{};
};

struct DnsParams {
  SignalContext& ctx;
  std::string_view host;
  std::chrono::nanoseconds elapsed{};
};

/// Subscribers for the client's lifecycle signals. Fill the vectors before the config is in
/// use (SessionOptions::trace_configs or add_global_trace_config); afterwards it is read-only.
struct TraceConfig {
  /// Configs of one non-empty group stand for the same subscriber: a session's own config
  /// replaces a process-wide one of its group (so an instrumented session is not traced twice).
  std::string group;
  std::vector<std::function<void(const RequestStartParams&)>> on_request_start;
  std::vector<std::function<void(const RequestHeadersSentParams&)>> on_request_headers_sent;
  std::vector<std::function<void(const ResponseHeadersParams&)>> on_response_headers;
  std::vector<std::function<void(const RequestEndParams&)>> on_request_end;
  std::vector<std::function<void(const RequestExceptionParams&)>> on_request_exception;
  std::vector<std::function<void(const RedirectParams&)>> on_request_redirect;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_queued_start;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_queued_end;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_create_start;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_create_end;
  std::vector<std::function<void(const ConnectionParams&)>> on_connection_reuseconn;
  std::vector<std::function<void(const DnsParams&)>> on_dns_resolvehost_start;
  std::vector<std::function<void(const DnsParams&)>> on_dns_resolvehost_end;
  std::vector<std::function<void(const ConnectionParams&)>> on_tls_handshake_end;
};

using TraceConfigPtr = std::shared_ptr<const TraceConfig>;

/// Process-wide configs: every session sees them from its next request on, whenever it was
/// created (so instrumenting after a session exists still works).
void add_global_trace_config(TraceConfigPtr config);
void remove_global_trace_config(const TraceConfigPtr& config);
std::vector<TraceConfigPtr> global_trace_configs();

}  // namespace tracehop::http
