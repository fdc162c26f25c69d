#pragma once
// http::Headers as a TextMapCarrier, so propagators read and write HTTP headers directly.

#include "tracehop/http/headers.hpp"
#include "tracehop/http/request_headers.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop::instrument {

/// Reads (repeated fields joined with ',') and writes (replacing every field of the name, so a
/// propagation header is never duplicated) the headers it wraps.
class HeadersCarrier final : public trace::TextMapCarrier {
 public:
  explicit HeadersCarrier(http::Headers& headers) noexcept : headers_(&headers), const_(&headers) {}
  explicit HeadersCarrier(const http::Headers& headers) noexcept : const_(&headers) {}
  /// A request's headers in its signals (RequestStartParams::headers).
  explicit HeadersCarrier(http::RequestHeaders& headers) noexcept : request_(&headers) {}
  std::optional<std::string_view> get(std::string_view key) const override {
    return request_ ? request_->get(key) : const_->get(key);
  }
  /// Does nothing on a carrier made from const headers.
  void set(std::string_view key, std::string_view value) override {
    if (request_)
      request_->set(key, value);
    else if (headers_)
      headers_->set(key, value);
  }

 private:
  http::Headers* headers_ = nullptr;
  const http::Headers* const_ = nullptr;
  http::RequestHeaders* request_ = nullptr;
};

}  // namespace tracehop::instrument
