#pragma once
// A response parser on Beast's basic_parser that keeps the header fields as they came, in one
// string, instead of building a beast::http::fields (an allocation per field): most callers
// look at one or two fields, and Response::headers() builds the ordered multimap on first use.
// A usual header (up to 16 fields, 320 bytes) is kept in place: the parser lives in the
// response's state, which is allocated anyway. The body collects into one string. Internal.

#include <boost/beast/http/basic_parser.hpp>
#include <boost/container/small_vector.hpp>
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tracehop/http/headers.hpp"

namespace tracehop::http::detail {

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  ResponseParser() = default;

  int status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return {raw_.data(), reason_size_}; }
  int version() const noexcept { return version_; }

  /// The first field of that name (case-insensitive), if any.
  std::optional<std::string_view> field(std::string_view name) const noexcept {
    for (const auto& f : fields_)
      if (field_name_equal(slice(f.name), name)) return slice(f.value);
    return std::nullopt;
  }

  /// Every field, in the order received.
  template <class F>
  void each_field(F&& f) const {
    for (const auto& x : fields_) f(slice(x.name), slice(x.value));
  }

  std::string& body() noexcept { return body_; }

 private:
  using error_code = boost::system::error_code;
  struct Span {
    std::uint32_t offset = 0, size = 0;
  };
  struct Field {
    Span name, value;
  };

  std::string_view slice(Span s) const noexcept { return {raw_.data() + s.offset, s.size}; }
  Span keep(std::string_view s) {
    const Span out{static_cast<std::uint32_t>(raw_.size()), static_cast<std::uint32_t>(s.size())};
    raw_.insert(raw_.end(), s.begin(), s.end());
    return out;
  }

  void on_request_impl(boost::beast::http::verb, boost::core::string_view, boost::core::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, boost::core::string_view reason, int version, error_code& ec) override {
    if (code < 100) {  // three digits, but no status class (aiohttp refuses them too)
      ec = boost::beast::http::error::bad_status;
      return;
    }
    status_ = code;
    version_ = version;
    raw_.assign(reason.begin(), reason.end());
    reason_size_ = reason.size();
  }
  void on_field_impl(boost::beast::http::field, boost::core::string_view name, boost::core::string_view value,
                     error_code&) override {
    const Span n = keep(std::string_view(name.data(), name.size()));
    fields_.push_back({n, keep(std::string_view(value.data(), value.size()))});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    // basic_parser has checked the length against body_limit already; a large body grows as
    // it arrives rather than on the server's word.
    if (length) body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1 << 20)));
  }
  std::size_t on_body_impl(boost::core::string_view s, error_code&) override {
    body_.append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::core::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::core::string_view s, error_code& ec) override {
    return on_body_impl(s, ec);
  }
  void on_finish_impl(error_code&) override {}

  int status_ = 0;
  int version_ = 11;
  std::size_t reason_size_ = 0;
  boost::container::small_vector<char, 320> raw_;  // the reason, then each field's name and value
  boost::container::small_vector<Field, 16> fields_;
  std::string body_;
};

}  // namespace tracehop::http::detail
