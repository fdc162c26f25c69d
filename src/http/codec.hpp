#pragma once
// Content-Encoding decoding (internal).

#include <cstddef>
#include <string>
#include <string_view>

namespace tracehop::http::detail {

/// Decodes a body sent with `Content-Encoding: encoding` (gzip, x-gzip, deflate, identity;
/// a comma-separated list is decoded right to left). Throws ClientPayloadError for an unknown
/// encoding, corrupt data, or output beyond `max_bytes`.
std::string decode_content(std::string body, std::string_view encoding, std::size_t max_bytes);

/// Compresses `data` as gzip (for tests and the server).
std::string gzip_compress(std::string_view data);

}  // namespace tracehop::http::detail
