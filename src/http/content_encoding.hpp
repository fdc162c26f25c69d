#pragma once
// Content-Encoding decoding (internal).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tracehop::http::detail {

/// Decodes a body sent with `Content-Encoding: encoding` (gzip, x-gzip, deflate, identity;
/// a comma-separated list is decoded right to left). Throws ClientPayloadError for an unknown
/// encoding, corrupt data, or output beyond `max_bytes`.
std::string decode_content(std::string body, std::string_view encoding, std::size_t max_bytes);

/// Decodes a gzip or deflate body piece by piece, for streamed responses.
class Inflater {
 public:
  /// nullptr for identity; throws ClientPayloadError for an unsupported coding.
  static std::unique_ptr<Inflater> for_encoding(std::string_view encoding);
  ~Inflater();
  /// Decoded bytes of the next piece of the body.
  std::string feed(std::string_view piece);
  /// Throws ClientPayloadError if the compressed stream did not end properly.
  void finish() const;

 private:
  explicit Inflater(bool gzip);
  struct State;
  std::unique_ptr<State> state_;
};

/// Compresses `data` as gzip (for tests and the server).
std::string gzip_compress(std::string_view data);

}  // namespace tracehop::http::detail
