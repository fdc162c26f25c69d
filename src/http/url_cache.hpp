#pragma once
// The URLs a session parsed last, so that a service calling the same endpoints again and again
// does not parse them again (yarl, under aiohttp, caches the same way). Boost.URL's parser is
// an eighth of a keep-alive request's client CPU; a hit costs a string compare and a reference
// count: the URLs are immutable and shared (by the request and its response too). Internal.

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "tracehop/http/url.hpp"

namespace tracehop::http::detail {

/// A URL that no one changes once made: shared instead of copied.
using SharedUrl = std::shared_ptr<const Url>;

class UrlCache {
 public:
  /// parse(text), or resolve(base, text) when the session has a base URL: either way a pure
  /// function of the text, so a hit is exactly what parsing would give. Throws InvalidURL.
  template <class Parse>
  SharedUrl get(std::string_view text, Parse&& parse) {
    {
      std::lock_guard lk(mu_);
      for (const auto& e : entries_)
        if (e.used && e.text == text) return e.url;
    }
    auto url = std::make_shared<const Url>(parse(text));  // outside the lock; a bad URL throws and is not kept
    std::lock_guard lk(mu_);
    auto& e = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    e.text.assign(text);
    e.url = url;
    e.used = true;
    return url;
  }

 private:
  struct Entry {
    std::string text;
    SharedUrl url;
    bool used = false;
  };
  std::mutex mu_;
  std::array<Entry, 8> entries_;
  std::size_t next_ = 0;
};

}  // namespace tracehop::http::detail
