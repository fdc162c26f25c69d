#include "content_encoding.hpp"

#include <zlib.h>

#include <vector>

#include "rfc9110.hpp"
#include "tracehop/http/errors.hpp"
#include "tracehop/http/headers.hpp"

namespace tracehop::http::detail {

namespace {

// window_bits: 15 + 16 for gzip, 15 for zlib, -15 for raw deflate.
bool inflate_with(std::string_view in, int window_bits, std::size_t max_bytes, std::string& out, std::string& error) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) {
    error = "zlib init failed";
    return false;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  out.clear();
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      error = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "truncated data" : "corrupt data");
      inflateEnd(&zs);
      return false;
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes) {
      error = "decoded body exceeds " + std::to_string(max_bytes) + " bytes";
      inflateEnd(&zs);
      return false;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      error = "truncated data";
      inflateEnd(&zs);
      return false;
    }
  }
  inflateEnd(&zs);
  return true;
}

}  // namespace

std::string decode_content(std::string body, std::string_view encoding, std::size_t max_bytes) {
  // Codings apply in order, so they are removed last-first.
  std::vector<std::string_view> codings;
  tracehop::detail::for_each_list_item(encoding, [&](std::string_view c) { codings.push_back(c); });
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    const auto c = *it;
    if (field_name_equal(c, "identity")) continue;
    std::string out, error;
    if (field_name_equal(c, "gzip") || field_name_equal(c, "x-gzip")) {
      if (!inflate_with(body, 15 + 16, max_bytes, out, error))
        throw ClientPayloadError("cannot decode the gzip response body: " + error);
    } else if (field_name_equal(c, "deflate")) {
      // "deflate" means zlib-wrapped data, but some servers send it raw.
      std::string raw_error;
      if (!inflate_with(body, 15, max_bytes, out, error) && !inflate_with(body, -15, max_bytes, out, raw_error))
        throw ClientPayloadError("cannot decode the deflate response body: " + error);
    } else {
      throw ClientPayloadError("unsupported Content-Encoding '" + std::string(c) + "'");
    }
    body = std::move(out);
  }
  return body;
}

struct Inflater::State {
  z_stream zs{};
  bool gzip;
  bool started = false;
  bool raw = false;  // a "deflate" body without the zlib wrapper
  bool ended = false;
  std::string first;  // the first bytes, kept to retry as raw deflate
};

std::unique_ptr<Inflater> Inflater::for_encoding(std::string_view encoding) {
  const auto c = trim_ows(encoding);
  if (c.empty() || field_name_equal(c, "identity")) return nullptr;
  if (field_name_equal(c, "gzip") || field_name_equal(c, "x-gzip")) return std::unique_ptr<Inflater>(new Inflater(true));
  if (field_name_equal(c, "deflate")) return std::unique_ptr<Inflater>(new Inflater(false));
  throw ClientPayloadError("unsupported Content-Encoding '" + std::string(c) + "' for a streamed body");
}

Inflater::Inflater(bool gzip) : state_(std::make_unique<State>()) {
  state_->gzip = gzip;
  inflateInit2(&state_->zs, gzip ? 15 + 16 : 15);
}

Inflater::~Inflater() { inflateEnd(&state_->zs); }

std::string Inflater::feed(std::string_view piece) {
  auto& st = *state_;
  std::string out;
  if (st.ended || piece.empty()) return out;
  if (!st.started && !st.gzip) st.first.append(piece);
  st.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
  st.zs.avail_in = static_cast<uInt>(piece.size());
  char buf[16384];
  while (st.zs.avail_in > 0 && !st.ended) {
    st.zs.next_out = reinterpret_cast<Bytef*>(buf);
    st.zs.avail_out = sizeof buf;
    const int rc = inflate(&st.zs, Z_NO_FLUSH);
    if (rc == Z_DATA_ERROR && !st.gzip && !st.started && !st.raw) {
      // Not zlib-wrapped: start over as raw deflate with what came so far.
      inflateEnd(&st.zs);
      st.zs = z_stream{};
      inflateInit2(&st.zs, -15);
      st.raw = true;
      const std::string again = std::move(st.first);
      return feed(again);
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      throw ClientPayloadError(std::string("cannot decode the ") + (st.gzip ? "gzip" : "deflate") +
                               " response body: " + (st.zs.msg ? st.zs.msg : "corrupt data"));
    out.append(buf, sizeof buf - st.zs.avail_out);
    st.started = st.started || out.size() > 0;
    if (rc == Z_STREAM_END) st.ended = true;
    if (rc == Z_BUF_ERROR) break;
  }
  return out;
}

void Inflater::finish() const {
  if (!state_->ended)
    throw ClientPayloadError(std::string("the ") + (state_->gzip ? "gzip" : "deflate") +
                             " response body ended before its compressed stream did");
}

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace tracehop::http::detail
