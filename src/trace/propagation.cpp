#include "tracehop/trace/propagation.hpp"

#include <atomic>
#include <mutex>

#include "internal.hpp"
#include "tracehop/log.hpp"

namespace tracehop::trace {

// --- MapCarrier ------------------------------------------------------------------------------

std::optional<std::string_view> MapCarrier::get(std::string_view key) const {
  const std::string* first = nullptr;
  std::size_t count = 0;
  for (const auto& [k, v] : entries_) {
    if (!detail::iequals(k, key)) continue;
    if (count++ == 0) first = &v;
  }
  if (count == 0) return std::nullopt;
  if (count == 1) return std::string_view(*first);
  joined_.clear();
  for (const auto& [k, v] : entries_) {
    if (!detail::iequals(k, key)) continue;
    if (!joined_.empty() || &v != first) joined_ += ',';
    joined_ += v;
  }
  return std::string_view(joined_);
}

void MapCarrier::set(std::string_view key, std::string_view value) {
  std::erase_if(entries_, [&](const auto& e) { return detail::iequals(e.first, key); });
  entries_.emplace_back(std::string(key), std::string(value));
}

// --- W3C Trace Context -----------------------------------------------------------------------

std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept {
  value = detail::trim_ows(value);
  // version "-" trace-id "-" parent-id "-" trace-flags: 2+1+32+1+16+1+2 = 55 characters.
  if (value.size() < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  const auto version = detail::parse_lower_hex<1>(value.substr(0, 2));
  if (!version || (*version)[0] == 0xff) return std::nullopt;
  if ((*version)[0] == 0x00) {
    if (value.size() != 55) return std::nullopt;
  } else if (value.size() > 55 && value[55] != '-') {
    // A future version may append fields, always after a '-'.
    return std::nullopt;
  }
  const auto trace_id = TraceId::from_hex(value.substr(3, 32));
  const auto span_id = SpanId::from_hex(value.substr(36, 16));
  const auto flags = detail::parse_lower_hex<1>(value.substr(53, 2));
  if (!trace_id || !span_id || !flags || !trace_id->valid() || !span_id->valid()) return std::nullopt;
  // Of a future version we can only trust the flags we know.
  const std::uint8_t bits = (*version)[0] == 0 ? (*flags)[0] : ((*flags)[0] & 0x03);
  return SpanContext(*trace_id, *span_id, TraceFlags(bits), /*remote=*/true);
}

namespace {

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
std::string percent_encode_baggage(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool octet = c == 0x21 || (c >= 0x23 && c <= 0x2B && c != 0x25) ||
                       (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
                       (c >= 0x5D && c <= 0x7E);
    if (octet) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}
constexpr std::size_t kTraceparentSize = 55;

void write_traceparent(const SpanContext& c, char* s) noexcept {
  s[0] = '0';
  s[1] = '0';
  s[2] = s[35] = s[52] = '-';
  c.trace_id().write_hex(s + 3);
  c.span_id().write_hex(s + 36);
  // Only the flags this version defines (sampled, random) go out: "00" to "03".
  s[53] = '0';
  s[54] = static_cast<char>('0' + (c.trace_flags().bits() & 0x03));
}
}  // namespace

std::string format_traceparent(const SpanContext& c) {
  std::string s(kTraceparentSize, '-');
  write_traceparent(c, s.data());
  return s;
}

namespace {

class TraceContextPropagator final : public TextMapPropagator {
 public:
  void inject(TextMapCarrier& carrier, const Context& context) const override {
    const auto& sc = context.span().span_context();
    if (!sc.valid()) return;
    char buf[kTraceparentSize];
    write_traceparent(sc, buf);
    carrier.set("traceparent", std::string_view(buf, sizeof buf));
    if (!sc.trace_state().empty()) carrier.set("tracestate", sc.trace_state().to_header());
  }

  Context extract(const TextMapCarrier& carrier, const Context& context) const override {
    Context c = context;
    extract_into(carrier, c);
    return c;
  }
  void extract_into(const TextMapCarrier& carrier, Context& context) const override {
    auto tp = carrier.get("traceparent");
    if (!tp) return;
    auto sc = parse_traceparent(*tp);
    if (!sc) return;  // an invalid traceparent takes its tracestate with it
    TraceState ts;
    if (auto header = carrier.get("tracestate"))
      if (auto parsed = TraceState::parse(*header)) ts = std::move(*parsed);
    context = std::move(context).with_span(
        Span(SpanContext(sc->trace_id(), sc->span_id(), sc->trace_flags(), true, std::move(ts))));
  }

  std::vector<std::string> fields() const override { return {"traceparent", "tracestate"}; }
};

// --- W3C Baggage -------------------------------------------------------------------------------

constexpr std::size_t kMaxBaggageMembers = 180;
constexpr std::size_t kMaxBaggageBytes = 8192;
constexpr std::size_t kMaxBaggageMemberBytes = 4096;

class BaggagePropagator final : public TextMapPropagator {
 public:
  void inject(TextMapCarrier& carrier, const Context& context) const override {
    const auto& b = context.baggage();
    if (b.empty()) return;
    auto header = format_baggage(b);
    if (!header.empty()) carrier.set("baggage", header);
  }
  Context extract(const TextMapCarrier& carrier, const Context& context) const override {
    Context c = context;
    extract_into(carrier, c);
    return c;
  }
  void extract_into(const TextMapCarrier& carrier, Context& context) const override {
    auto header = carrier.get("baggage");
    if (!header) return;
    auto b = parse_baggage(*header, context.baggage());
    context = std::move(context).with_baggage(std::move(b));
  }
  std::vector<std::string> fields() const override { return {"baggage"}; }
};

// --- B3 ----------------------------------------------------------------------------------------

// A B3 trace id is 16 or 32 lowercase hex digits; 16 are padded on the left with zeros.
std::optional<TraceId> parse_b3_trace_id(std::string_view s) {
  if (s.size() == 16) {
    auto low = detail::parse_lower_hex<8>(s);
    if (!low) return std::nullopt;
    TraceId::Bytes b{};
    std::copy(low->begin(), low->end(), b.begin() + 8);
    return TraceId(b);
  }
  return TraceId::from_hex(s);
}

class B3Propagator final : public TextMapPropagator {
 public:
  explicit B3Propagator(B3Format f) : format_(f) {}

  void inject(TextMapCarrier& carrier, const Context& context) const override {
    const auto& sc = context.span().span_context();
    if (!sc.valid()) return;
    const bool debug = context.get(b3_debug_key()) && *context.get(b3_debug_key());
    if (format_ == B3Format::Single) {
      std::string v = sc.trace_id().to_hex() + '-' + sc.span_id().to_hex() + '-';
      v += debug ? 'd' : (sc.sampled() ? '1' : '0');
      carrier.set("b3", v);
    } else {
      carrier.set("X-B3-TraceId", sc.trace_id().to_hex());
      carrier.set("X-B3-SpanId", sc.span_id().to_hex());
      if (debug)
        carrier.set("X-B3-Flags", "1");
      else
        carrier.set("X-B3-Sampled", sc.sampled() ? "1" : "0");
    }
  }

  Context extract(const TextMapCarrier& carrier, const Context& context) const override {
    if (auto single = carrier.get("b3")) {
      if (auto c = extract_single(*single, context)) return *c;
      return context;  // a present but malformed b3 header is not overridden by X-B3-*
    }
    return extract_multi(carrier, context);
  }

  std::vector<std::string> fields() const override {
    if (format_ == B3Format::Single) return {"b3"};
    return {"X-B3-TraceId", "X-B3-SpanId", "X-B3-ParentSpanId", "X-B3-Sampled", "X-B3-Flags"};
  }

 private:
  // b3: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]], or a lone SamplingState.
  static std::optional<Context> extract_single(std::string_view v, const Context& context) {
    v = detail::trim_ows(v);
    std::string_view parts[4];
    std::size_t n = 0;
    for (;;) {
      if (n == 4) return std::nullopt;  // too many fields
      const auto dash = v.find('-');
      parts[n++] = v.substr(0, dash);
      if (dash == std::string_view::npos) break;
      v.remove_prefix(dash + 1);
    }
    if (n == 1) return std::nullopt;  // sampling state alone: no context to continue
    auto trace_id = parse_b3_trace_id(parts[0]);
    auto span_id = SpanId::from_hex(parts[1]);
    if (!trace_id || !span_id || !trace_id->valid() || !span_id->valid()) return std::nullopt;
    bool sampled = false, debug = false;
    if (n >= 3) {
      const auto s = parts[2];
      if (s == "1" || s == "true") sampled = true;
      else if (s == "d") sampled = debug = true;
      else if (s != "0" && s != "false") return std::nullopt;
    }
    if (n == 4 && !SpanId::from_hex(parts[3])) return std::nullopt;
    return with_remote(context, *trace_id, *span_id, sampled, debug);
  }

  static Context extract_multi(const TextMapCarrier& carrier, const Context& context) {
    auto tid = carrier.get("X-B3-TraceId"), sid = carrier.get("X-B3-SpanId");
    if (!tid || !sid) return context;
    auto trace_id = parse_b3_trace_id(detail::trim_ows(*tid));
    auto span_id = SpanId::from_hex(detail::trim_ows(*sid));
    if (!trace_id || !span_id || !trace_id->valid() || !span_id->valid()) return context;
    bool debug = false, sampled = false;
    if (auto f = carrier.get("X-B3-Flags"); f && detail::trim_ows(*f) == "1") debug = sampled = true;
    if (auto s = carrier.get("X-B3-Sampled")) {
      const auto v = detail::trim_ows(*s);
      if (v == "1" || v == "true") sampled = true;
    }
    return with_remote(context, *trace_id, *span_id, sampled, debug);
  }

  static Context with_remote(const Context& context, TraceId t, SpanId s, bool sampled, bool debug) {
    Context c = context.with_span(Span(SpanContext(t, s, TraceFlags{}.with_sampled(sampled), true)));
    return debug ? c.with(b3_debug_key(), true) : c;
  }

  B3Format format_;
};

// --- composite and no-op -------------------------------------------------------------------

class CompositePropagator final : public TextMapPropagator {
 public:
  explicit CompositePropagator(std::vector<PropagatorPtr> ps) : ps_(std::move(ps)) {}
  void inject(TextMapCarrier& carrier, const Context& context) const override {
    for (const auto& p : ps_) p->inject(carrier, context);
  }
  Context extract(const TextMapCarrier& carrier, const Context& context) const override {
    Context c = context;
    extract_into(carrier, c);
    return c;
  }
  void extract_into(const TextMapCarrier& carrier, Context& context) const override {
    for (const auto& p : ps_) p->extract_into(carrier, context);
  }
  std::vector<std::string> fields() const override {
    std::vector<std::string> out;
    for (const auto& p : ps_)
      for (auto& f : p->fields())
        if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
    return out;
  }

 private:
  std::vector<PropagatorPtr> ps_;
};

class NoopPropagator final : public TextMapPropagator {
 public:
  void inject(TextMapCarrier&, const Context&) const override {}
  Context extract(const TextMapCarrier&, const Context& context) const override { return context; }
  void extract_into(const TextMapCarrier&, Context&) const override {}
  std::vector<std::string> fields() const override { return {}; }
};

// Every propagator ever installed stays alive, so the current one is read through an atomic
// pointer without a lock (inject and extract run on every request).
struct GlobalPropagator {
  std::mutex mu;
  std::vector<std::unique_ptr<const PropagatorPtr>> installed;
  std::atomic<const PropagatorPtr*> current{nullptr};

  // Until a program installs one, OTEL_PROPAGATORS's (as OpenTelemetry Python's global).
  GlobalPropagator() { install(propagator_from_env()); }
  void install(PropagatorPtr p) {
    std::lock_guard lk(mu);
    installed.push_back(std::make_unique<const PropagatorPtr>(std::move(p)));
    current.store(installed.back().get(), std::memory_order_release);
  }
};
GlobalPropagator& global_propagator_ref() {
  static GlobalPropagator* g = new GlobalPropagator;  // never destroyed: used during static teardown
  return *g;
}
const TextMapPropagator& current_propagator() noexcept {
  return **global_propagator_ref().current.load(std::memory_order_acquire);
}

}  // namespace

// --- baggage header --------------------------------------------------------------------------

Baggage parse_baggage(std::string_view header, Baggage base) {
  if (header.size() > kMaxBaggageBytes) {
    // Keep only whole members within the byte limit.
    const auto cut = header.substr(0, kMaxBaggageBytes).rfind(',');
    header = cut == std::string_view::npos ? std::string_view{} : header.substr(0, cut);
  }
  std::size_t members = 0;
  while (!header.empty() && members < kMaxBaggageMembers) {
    const auto comma = header.find(',');
    const auto member = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (member.size() > kMaxBaggageMemberBytes) continue;
    // list-member = key OWS "=" OWS value *( OWS ";" OWS property )
    const auto semi = member.find(';');
    const auto kv = member.substr(0, semi);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = detail::trim_ows(kv.substr(0, eq));
    const auto raw = detail::trim_ows(kv.substr(eq + 1));
    if (key.empty() || !detail::is_token(key)) continue;
    auto value = detail::percent_decode(raw);
    if (!value) continue;
    const auto metadata =
        semi == std::string_view::npos ? std::string_view{} : detail::trim_ows(member.substr(semi + 1));
    base = base.set(key, *value, metadata);
    ++members;
  }
  return base;
}

std::string format_baggage(const Baggage& baggage) {
  std::string out;
  std::size_t members = 0;
  for (const auto& e : baggage.entries()) {
    if (e.name.empty() || !detail::is_token(e.name)) continue;
    std::string member = e.name + '=' + percent_encode_baggage(e.value);
    if (!e.metadata.empty()) member += ';' + e.metadata;
    const std::size_t need = member.size() + (out.empty() ? 0 : 1);
    if (member.size() > kMaxBaggageMemberBytes) continue;
    if (members == kMaxBaggageMembers || out.size() + need > kMaxBaggageBytes) break;
    if (!out.empty()) out += ',';
    out += member;
    ++members;
  }
  return out;
}

const ContextKey<bool>& b3_debug_key() {
  static const auto key = create_context_key<bool>("b3-debug");
  return key;
}

// --- factories and the global ------------------------------------------------------------------

PropagatorPtr trace_context_propagator() {
  static const PropagatorPtr p = std::make_shared<TraceContextPropagator>();
  return p;
}
PropagatorPtr baggage_propagator() {
  static const PropagatorPtr p = std::make_shared<BaggagePropagator>();
  return p;
}
PropagatorPtr b3_propagator(B3Format format) { return std::make_shared<B3Propagator>(format); }
PropagatorPtr composite_propagator(std::vector<PropagatorPtr> propagators) {
  return std::make_shared<CompositePropagator>(std::move(propagators));
}
PropagatorPtr noop_propagator() {
  static const PropagatorPtr p = std::make_shared<NoopPropagator>();
  return p;
}

PropagatorPtr propagator_from_names(std::string_view names) {
  std::vector<PropagatorPtr> ps;
  for (const auto& listed : detail::split_list(names)) {
    const auto name = detail::ascii_lower(listed);
    if (name == "tracecontext") ps.push_back(trace_context_propagator());
    else if (name == "baggage") ps.push_back(baggage_propagator());
    else if (name == "b3") ps.push_back(b3_propagator(B3Format::Single));
    else if (name == "b3multi") ps.push_back(b3_propagator(B3Format::Multi));
    else if (name == "none") continue;
    else log_warn("OTEL_PROPAGATORS: unknown propagator '" + name + "' skipped");
  }
  if (ps.empty()) return noop_propagator();
  if (ps.size() == 1) return ps.front();
  return composite_propagator(std::move(ps));
}

PropagatorPtr propagator_from_env() {
  return propagator_from_names(detail::env("OTEL_PROPAGATORS").value_or("tracecontext,baggage"));
}

PropagatorPtr global_propagator() {
  return *global_propagator_ref().current.load(std::memory_order_acquire);
}

void set_global_propagator(PropagatorPtr propagator) {
  global_propagator_ref().install(propagator ? std::move(propagator) : noop_propagator());
}

void inject(TextMapCarrier& carrier, const Context& context) {
  current_propagator().inject(carrier, context);
}

Context extract(const TextMapCarrier& carrier, const Context& context) {
  return current_propagator().extract(carrier, context);
}

void extract_into(const TextMapCarrier& carrier, Context& context) { current_propagator().extract_into(carrier, context); }

}  // namespace tracehop::trace
