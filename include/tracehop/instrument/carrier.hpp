#pragma once
// http::Headers as a TextMapCarrier, so propagators read and write HTTP headers directly.

#include "tracehop/http/headers.hpp"
#include "tracehop/trace/propagation.hpp"

namespace tracehop::instrument {

/// Reads (repeated fields joined with ',') and writes (replacing every field of the name, so a
/// propagation header is never duplicated) the headers it wraps.
class HeadersCarrier final : public trace::TextMapCarrier {
 public:
  explicit HeadersCarrier(http::Headers& headers) noexcept : headers_(&headers), const_(&headers) {}
  explicit HeadersCarrier(const http::Headers& headers) noexcept : const_(&headers) {}
  std::optional<std::string_view> get(std::string_view key) const override { return const_->get(key); }
  /// Does nothing on a carrier made from const headers.
  void set(std::string_view key, std::string_view value) override {
    if (headers_) headers_->set(key, value);
  }

 private:
  http::Headers* headers_ = nullptr;
  const http::Headers* const_;
};

}  // namespace tracehop::instrument
