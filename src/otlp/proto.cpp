#include "proto.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "model.hpp"
#include "tracehop/otlp/encoding.hpp"
#include "tracehop/trace/resource.hpp"
#include "tracehop/trace/tracer.hpp"

namespace tracehop::otlp {

namespace detail {

namespace {

// The protobuf wire format (protobuf.dev/programming-guides/encoding): each field a tag (its
// number and wire type, as a varint), then a varint, 8 or 4 little-endian bytes, or a length
// and that many bytes (strings, bytes, nested messages). A nested message's length comes first,
// so each is measured before it is written: both walk the same field lists below, one with
// Measure, one with Write, which cannot disagree.
enum WireType : unsigned { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
constexpr std::size_t tag_size(unsigned field) noexcept { return varint_size(field << 3); }
constexpr std::size_t len_size(unsigned field, std::size_t n) noexcept {
  return tag_size(field) + varint_size(n) + n;
}

// (Their small members are forced inline: called for every field, they were not.)
#define TRACEHOP_INLINE [[gnu::always_inline]] inline
struct Measure {
  std::size_t n = 0;
  TRACEHOP_INLINE void varint(unsigned field, std::uint64_t v) noexcept { n += tag_size(field) + varint_size(v); }
  void fixed64(unsigned field, std::uint64_t) noexcept { n += tag_size(field) + 8; }
  void fixed32(unsigned field, std::uint32_t) noexcept { n += tag_size(field) + 4; }
  TRACEHOP_INLINE void bytes(unsigned field, std::string_view b) noexcept { n += len_size(field, b.size()); }
  template <class Body>
  void message(unsigned field, const Body& body) {
    Measure m;
    body(m);
    n += len_size(field, m.n);
  }
  TRACEHOP_INLINE void message_of_size(unsigned field, std::size_t size) noexcept { n += len_size(field, size); }
};

class Write {
 public:
  explicit Write(char* p) noexcept : p_(p) {}
  char* position() const noexcept { return p_; }

  TRACEHOP_INLINE void varint(unsigned field, std::uint64_t v) noexcept {
    tag(field, kVarint);
    raw_varint(v);
  }
  TRACEHOP_INLINE void fixed64(unsigned field, std::uint64_t v) noexcept {
    tag(field, kFixed64);
    little_endian<8>(v);
  }
  TRACEHOP_INLINE void fixed32(unsigned field, std::uint32_t v) noexcept {
    tag(field, kFixed32);
    little_endian<4>(v);
  }
  TRACEHOP_INLINE void bytes(unsigned field, std::string_view b) noexcept {
    message_of_size(field, b.size());
    std::memcpy(p_, b.data(), b.size());
    p_ += b.size();
  }
  template <class Body>
  void message(unsigned field, const Body& body) {
    Measure m;
    body(m);
    message_of_size(field, m.n);
    body(*this);
  }
  /// The tag and length of a message of `size` bytes, whose fields the caller writes next.
  TRACEHOP_INLINE void message_of_size(unsigned field, std::size_t size) noexcept {
    tag(field, kLen);
    raw_varint(size);
  }

 private:
  TRACEHOP_INLINE void tag(unsigned field, WireType type) noexcept { raw_varint(field << 3 | type); }
  TRACEHOP_INLINE void raw_varint(std::uint64_t v) noexcept {
    for (; v >= 0x80; v >>= 7) *p_++ = static_cast<char>(v | 0x80);
    *p_++ = static_cast<char>(v);
  }
  template <int Bytes>
  TRACEHOP_INLINE void little_endian(std::uint64_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
      const auto x = static_cast<std::conditional_t<Bytes == 8, std::uint64_t, std::uint32_t>>(v);
      std::memcpy(p_, &x, Bytes);  // one store
      p_ += Bytes;
    } else {
      for (int i = 0; i < Bytes; ++i, v >>= 8) *p_++ = static_cast<char>(v & 0xff);
    }
  }
  char* p_;
};
#undef TRACEHOP_INLINE

// proto3 leaves out a scalar field that holds its default (0, "", empty bytes).
template <class Sink>
void text(Sink& s, unsigned field, std::string_view v) {
  if (!v.empty()) s.bytes(field, v);
}
template <class Sink>
void uint(Sink& s, unsigned field, std::uint64_t v) {
  if (v) s.varint(field, v);
}
template <class Sink>
void fixed64(Sink& s, unsigned field, std::uint64_t v) {
  if (v) s.fixed64(field, v);
}
template <class Id>
std::string_view id_bytes(const Id& id) noexcept {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

// AnyValue: the one field of its oneof is always written, default or not.
template <class Sink, class T>
void any_value(Sink& s, const T& x) {
  if constexpr (std::is_same_v<T, bool>) {
    s.varint(2, x ? 1 : 0);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    s.varint(3, static_cast<std::uint64_t>(x));
  } else if constexpr (std::is_same_v<T, double>) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    s.fixed64(4, bits);
  } else if constexpr (std::is_same_v<T, std::string>) {
    s.bytes(1, x);
  } else {  // an array: ArrayValue.values, each an AnyValue
    s.message(5, [&](auto& array) {
      for (const auto& e : x)
        array.message(1, [&](auto& v) { any_value(v, static_cast<typename T::value_type>(e)); });
    });
  }
}

template <class Sink>
void attributes(Sink& s, unsigned field, const trace::Attributes& list) {
  for (const auto& kv : list)
    s.message(field, [&](auto& k) {
      text(k, 1, kv.key.view());
      k.message(2, [&](auto& v) { std::visit([&](const auto& x) { any_value(v, x); }, kv.value.variant()); });
    });
}

template <class Sink>
void resource(Sink& s, const trace::Resource& r) {
  s.message(1, [&](auto& m) { attributes(m, 1, r.attributes()); });
}

template <class Sink>
void scope(Sink& s, const trace::InstrumentationScope& sc) {
  s.message(1, [&](auto& m) {
    text(m, 1, sc.name);
    text(m, 2, sc.version);
    attributes(m, 3, sc.attributes);
  });
}

template <class Sink>
void span(Sink& s, const trace::SpanData& d) {
  s.bytes(1, id_bytes(d.context.trace_id()));
  s.bytes(2, id_bytes(d.context.span_id()));
  if (!d.context.trace_state().empty()) s.bytes(3, d.context.trace_state().to_header());
  if (d.parent_span_id.valid()) s.bytes(4, id_bytes(d.parent_span_id));
  text(s, 5, d.name);
  uint(s, 6, static_cast<std::uint64_t>(span_kind(d.kind)));
  fixed64(s, 7, unix_nanos(d.start_time));
  fixed64(s, 8, unix_nanos(d.end_time));
  attributes(s, 9, d.attributes);
  uint(s, 10, d.dropped_attributes);
  for (const auto& e : d.events)
    s.message(11, [&](auto& m) {
      fixed64(m, 1, unix_nanos(e.time));
      text(m, 2, e.name);
      attributes(m, 3, e.attributes);
      uint(m, 4, e.dropped_attributes);
    });
  uint(s, 12, d.dropped_events);
  for (const auto& l : d.links)
    s.message(13, [&](auto& m) {
      m.bytes(1, id_bytes(l.context.trace_id()));
      m.bytes(2, id_bytes(l.context.span_id()));
      if (!l.context.trace_state().empty()) m.bytes(3, l.context.trace_state().to_header());
      attributes(m, 4, l.attributes);
      uint(m, 5, l.dropped_attributes);
      m.fixed32(6, span_flags(l.context.trace_flags(), l.context.remote()));
    });
  uint(s, 14, d.dropped_links);
  s.message(15, [&](auto& m) {  // always present, as the generated code sends it
    text(m, 2, d.status.description);
    uint(m, 3, static_cast<std::uint64_t>(status_code(d.status.code)));
  });
  s.fixed32(16, span_flags(d.context.trace_flags(), d.parent_remote));
}

}  // namespace

std::string_view ProtobufEncoder::encode(std::span<const trace::SpanDataPtr> spans) {
  const auto groups = group_by_resource_and_scope(spans);
  // Measure: each ResourceSpans, ScopeSpans and Span size, in the order they are written.
  sizes_.clear();
  std::size_t total = 0;
  for (const auto& group : groups) {
    const std::size_t at_resource = sizes_.size();
    sizes_.push_back(0);
    Measure rs;
    if (group.resource) resource(rs, *group.resource);
    for (const auto& [sc, members] : group.scopes) {
      const std::size_t at_scope = sizes_.size();
      sizes_.push_back(0);
      Measure ss;
      if (sc) scope(ss, *sc);
      for (const auto* d : members) {
        Measure sp;
        span(sp, *d);
        sizes_.push_back(sp.n);
        ss.message_of_size(2, sp.n);
      }
      if (sc) text(ss, 3, sc->schema_url);
      sizes_[at_scope] = ss.n;
      rs.message_of_size(2, ss.n);
    }
    if (group.resource) text(rs, 3, group.resource->schema_url());
    sizes_[at_resource] = rs.n;
    total += len_size(1, rs.n);
  }
  // Write, into a buffer of exactly that size.
  out_.resize(total);
  Write w(out_.data());
  auto size = sizes_.begin();
  for (const auto& group : groups) {
    w.message_of_size(1, *size++);
    if (group.resource) resource(w, *group.resource);
    for (const auto& [sc, members] : group.scopes) {
      w.message_of_size(2, *size++);
      if (sc) scope(w, *sc);
      for (const auto* d : members) {
        w.message_of_size(2, *size++);
        span(w, *d);
      }
      if (sc) text(w, 3, sc->schema_url);
    }
    if (group.resource) text(w, 3, group.resource->schema_url());
  }
  if (w.position() != out_.data() + out_.size()) throw std::logic_error("OTLP protobuf encoding: size mismatch");
  return out_;
}

}  // namespace detail

std::string to_otlp_protobuf(std::span<const trace::SpanDataPtr> spans) {
  detail::ProtobufEncoder encoder;
  return std::string(encoder.encode(spans));
}

}  // namespace tracehop::otlp
