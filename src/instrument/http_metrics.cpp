// The HTTP metrics of both instrumentations.

#include "http_metrics.hpp"

#include <algorithm>
#include <new>
#include <type_traits>

#include <boost/container/small_vector.hpp>

#include "common/env.hpp"
#include "common/text.hpp"

namespace tracehop::instrument::detail {

namespace {

using metrics::Attribute;

// A list of attributes on the stack, added to one by one (the places not added to are left
// unwritten).
template <std::size_t N>
class AttributeBuffer {
 public:
  void add(Attribute a) noexcept { new (&storage_[size_ * sizeof(Attribute)]) Attribute(a); ++size_; }
  metrics::AttributeList list() const noexcept {
    return {std::launder(reinterpret_cast<const Attribute*>(storage_)), size_};
  }

 private:
  alignas(Attribute) unsigned char storage_[N * sizeof(Attribute)];
  std::size_t size_ = 0;
};
static_assert(std::is_trivially_copyable_v<Attribute> && std::is_trivially_destructible_v<Attribute>);

// The decimal text of a status code in `buffer`: an error status's error.type.
std::string_view status_text(int status, std::array<char, 4>& buffer) noexcept {
  if (status < 100 || status > 999) return "_OTHER";
  buffer = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
            static_cast<char>('0' + status % 10), '\0'};
  return {buffer.data(), 3};
}

}  // namespace

const trace::SpanContext kNoExemplar;

namespace {

// The attributes' values as one string into `out`, the same for the same attributes in any
// order (no allocation for up to 8 attributes once `out` has grown).
void encode(metrics::AttributeList attributes, std::string& out) {
  boost::container::small_vector<const Attribute*, 8> sorted;
  for (const auto& a : attributes) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key.view() < b->key.view(); });
  out.clear();
  const auto add = [&out](std::string_view text) {
    const auto size = static_cast<std::uint32_t>(text.size());
    out.append(reinterpret_cast<const char*>(&size), sizeof size).append(text);
  };
  for (const Attribute* a : sorted) {
    add(a->key.view());
    out.push_back(static_cast<char>(a->value.type()));
    if (a->value.type() == metrics::AttrValue::Type::String) {
      add(a->value.as_string());
    } else {
      const std::uint64_t bits = a->value.word0();  // a number's (or a bool's) value
      out.append(reinterpret_cast<const char*>(&bits), sizeof bits);
    }
  }
}

}  // namespace

ObservedCounts::ObservedCounts(const metrics::Meter& meter, const std::string& name,
                               const metrics::InstrumentOptions& options)
    : instrument_(meter.create_observable_up_down_counter<std::int64_t>(
          name, [this](metrics::ObservableResult& r) { observe(r); }, options)) {}

std::shared_ptr<ObservedCounts> ObservedCounts::of(const std::shared_ptr<metrics::MeterProvider>& provider,
                                                   const metrics::Meter& meter, const std::string& name,
                                                   const metrics::InstrumentOptions& options) {
  // The provider by its owner (a weak pointer's), not its address: another provider made where
  // a destroyed one was is another.
  struct Entry {
    std::weak_ptr<metrics::MeterProvider> provider;
    std::string name;
    std::weak_ptr<ObservedCounts> counts;
  };
  struct Registry {
    std::mutex mu;
    std::vector<Entry> entries;
  };
  static auto* registry = new Registry;  // never destroyed: instrumentations may end during exit
  std::lock_guard lock(registry->mu);
  auto& entries = registry->entries;
  std::erase_if(entries, [](const Entry& e) { return e.counts.expired(); });
  const std::weak_ptr<metrics::MeterProvider> owner(provider);
  for (const auto& e : entries)
    if (!e.provider.owner_before(owner) && !owner.owner_before(e.provider) && e.name == name)
      if (auto counts = e.counts.lock()) return counts;
  auto made = std::make_shared<ObservedCounts>(meter, name, options);
  entries.push_back({owner, name, made});
  return made;
}

std::atomic<std::int64_t>& ObservedCounts::count(metrics::AttributeList attributes) {
  thread_local std::string key;  // (kept: a request past the kinds finds its count without allocating)
  encode(attributes, key);
  std::lock_guard lock(mu_);
  if (auto found = counts_.find(key); found != counts_.end()) return found->second->value;
  auto made = std::make_unique<Count>();
  made->attributes = metrics::AttributeSet(attributes);
  return counts_.emplace(key, std::move(made)).first->second->value;
}

void ObservedCounts::observe(metrics::ObservableResult& r) {
  std::lock_guard lock(mu_);
  for (const auto& [key, c] : counts_) r.observe(c->value.load(std::memory_order_relaxed), c->attributes.list());
}

metrics::AttrValue method_value(std::string_view method) noexcept {
  // OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS replaces the standard list: its methods as given.
  // (The standard list is here only: is_known_method asks this.)
  static const bool replaced = !tracehop::detail::env_list("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS").empty();
  if (replaced) return is_known_method(method) ? metrics::AttrValue(method) : metrics::AttrValue("_OTHER");
  switch (method.size()) {  // RFC 9110's and PATCH (this runs on every request)
    case 3:
      if (method == "GET") return "GET";
      if (method == "PUT") return "PUT";
      break;
    case 4:
      if (method == "POST") return "POST";
      if (method == "HEAD") return "HEAD";
      break;
    case 5:
      if (method == "PATCH") return "PATCH";
      if (method == "TRACE") return "TRACE";
      break;
    case 6:
      if (method == "DELETE") return "DELETE";
      break;
    case 7:
      if (method == "OPTIONS") return "OPTIONS";
      if (method == "CONNECT") return "CONNECT";
      break;
    default:
      break;
  }
  return "_OTHER";
}

metrics::AttrValue scheme_value(std::string_view scheme) noexcept {
  if (scheme == "https") return "https";
  if (scheme == "http") return "http";
  return scheme;
}

HttpMetrics::HttpMetrics(const std::shared_ptr<metrics::MeterProvider>& provider, const metrics::Meter& meter,
                         SemconvMode mode, bool client)
    : mode_(mode), client_(client) {
  const std::string side = client ? "client" : "server";
  if (reports_stable(mode)) {
    duration_ = meter.create_histogram("http." + side + ".request.duration",
                                       {.unit = "s",
                                        .description = "Duration of HTTP " + side + " requests.",
                                        .bucket_boundaries = duration_buckets()});
    active_ = ObservedCounts::of(provider, meter, "http." + side + ".active_requests",
                                 {.unit = "{request}", .description = "Number of active HTTP " + side + " requests."});
    if (client)
      queue_ = meter.create_histogram("http.client.request.time_in_queue",
                                      {.unit = "s",
                                       .description = "Time a request waited for a connection from the pool.",
                                       .bucket_boundaries = duration_buckets()});
  }
  if (reports_old(mode))
    duration_old_ = meter.create_histogram(
        "http." + side + ".duration",
        {.unit = "ms", .description = "Measures the duration of " + std::string(client ? "outbound" : "inbound") +
                                      " HTTP requests."});
}

// (Not a member: a stable measurement's attributes are the same list for every instrument.)
// With the outcome, an error status is the error.type when no exception named one: from 400 for
// a client (the semantic conventions' rule), from 500 for a server (a 4xx is the client's error).
static void stable_attributes(const HttpRequestFacts& f, bool client, bool with_outcome, AttributeBuffer<8>& a,
                              std::array<char, 4>& status_buffer) noexcept {
  a.add({"http.request.method", f.method});
  a.add({"url.scheme", f.scheme});
  if (client) {
    a.add({"server.address", f.host});
    a.add({"server.port", f.port});
  } else if (!f.route.empty() && with_outcome) {
    a.add({"http.route", f.route});
  }
  if (!with_outcome) return;
  if (f.status != 0) {
    a.add({"http.response.status_code", f.status});
    a.add({"network.protocol.version", f.version});
  }
  if (!f.error_type.empty())
    a.add({"error.type", f.error_type});
  else if (f.status >= (client ? 400 : 500))
    a.add({"error.type", status_text(f.status, status_buffer)});
}

// The old conventions' duration attributes.
static void old_attributes(const HttpRequestFacts& f, bool client, AttributeBuffer<8>& a) noexcept {
  a.add({"http.method", f.method});
  a.add({"http.scheme", f.scheme});
  if (client) {
    a.add({"net.peer.name", f.host});
    a.add({"net.peer.port", f.port});
  } else if (!f.route.empty()) {
    a.add({"http.route", f.route});
  }
  if (f.status != 0) {
    a.add({"http.status_code", f.status});
    a.add({"http.flavor", f.version});
  }
}

static metrics::AttributeSet stable_set(const HttpRequestFacts& f, bool client, bool with_outcome) {
  AttributeBuffer<8> a;
  std::array<char, 4> status_buffer;
  stable_attributes(f, client, with_outcome, a, status_buffer);
  return metrics::AttributeSet(a.list());
}

using tracehop::detail::same_string;  // (a host name, a route: short, compared in place)

// Whether two string attributes are the same string: the same words (a literal), or the same
// characters.
[[gnu::always_inline]] static inline bool same_text(metrics::AttrValue a, metrics::AttrValue b) noexcept {
  return (a.word0() == b.word0() && a.word1() == b.word1()) || same_string(a.as_string(), b.as_string());
}

struct RequestKind::Outcome {
  int status;
  metrics::AttrValue version;  // a literal
  std::string route;
  metrics::AttributeSet stable, old;  // the duration's, in the conventions measured
};

RequestKind::RequestKind(const HttpRequestFacts& f, bool client, SemconvMode mode, ObservedCounts* active)
    : host_(f.host), facts_(f) {
  // A run-time method or scheme (a known method of the environment's list) is copied.
  if (!f.method.literal()) facts_.method = std::string_view(method_ = f.method.as_string());
  if (!f.scheme.literal()) facts_.scheme = std::string_view(scheme_ = f.scheme.as_string());
  facts_.host = host_;
  facts_.route = {};  // (the outcome's, as status, version and error.type)
  facts_.status = 0;
  facts_.version = {};
  facts_.error_type = {};
  if (reports_stable(mode)) started_ = stable_set(facts_, client, false);
  if (active != nullptr) active_ = &active->count(started_.list());
}

RequestKind::~RequestKind() {
  for (auto& o : outcomes_) delete o.load(std::memory_order_relaxed);
}

[[gnu::always_inline]] inline bool RequestKind::is(const HttpRequestFacts& f) const noexcept {
  return f.port == facts_.port && same_text(f.method, facts_.method) && same_text(f.scheme, facts_.scheme) &&
         same_string(f.host, facts_.host);
}

const RequestKind::Outcome* RequestKind::outcome(const HttpRequestFacts& f, bool client,
                                                 SemconvMode mode) const noexcept {
  // An exception's error.type is any string: such outcomes are measured with lists.
  if (!f.error_type.empty() || (f.status != 0 && !f.version.literal())) return nullptr;
  for (auto& slot : outcomes_) {
    const Outcome* o = slot.load(std::memory_order_acquire);
    if (o == nullptr && (o = add_outcome(slot, f, client, mode)) == nullptr) return nullptr;
    if (o->status == f.status && o->version.word0() == f.version.word0() && same_string(o->route, f.route)) return o;
  }
  return nullptr;
}

// Makes `f`'s outcome into the empty `slot`: the slot's outcome then (this one, or one another
// thread put there meanwhile), nullptr when out of memory.
const RequestKind::Outcome* RequestKind::add_outcome(std::atomic<Outcome*>& slot, const HttpRequestFacts& f,
                                                     bool client, SemconvMode mode) const noexcept {
  try {
    HttpRequestFacts full = facts_;
    full.status = f.status;
    full.version = f.version;
    full.route = f.route;
    auto made = std::make_unique<Outcome>(Outcome{f.status, f.version, std::string(f.route), {}, {}});
    if (reports_stable(mode)) made->stable = stable_set(full, client, true);
    if (reports_old(mode)) {
      AttributeBuffer<8> a;
      old_attributes(full, client, a);
      made->old = metrics::AttributeSet(a.list());
    }
    Outcome* found = nullptr;
    if (slot.compare_exchange_strong(found, made.get(), std::memory_order_acq_rel)) return made.release();
    return found;
  } catch (...) {
    return nullptr;  // a list, this time
  }
}

// A kind's place in the table: from its host's characters, its port, and its method's length
// and first letter (characters, not addresses: a run-time method or host is another string
// each time; kinds that differ by the rest of the method are told apart by the probe).
static std::size_t kind_hash(const HttpRequestFacts& f) noexcept {
  using namespace tracehop::detail;
  const std::string_view method = f.method.as_string();
  const std::uint64_t m = method.size() << 8 | (method.empty() ? 0 : static_cast<unsigned char>(method[0]));
  return mum(hash_string(f.host) ^ static_cast<std::uint64_t>(f.port), m ^ kHash1);
}

const RequestKind* HttpMetrics::kind(const HttpRequestFacts& f) const noexcept {
  constexpr std::size_t kProbes = 16;
  const std::size_t start = kind_hash(f);
  for (std::size_t i = 0; i < kProbes; ++i) {
    auto& slot = kinds_[(start + i) % kKinds];
    const RequestKind* k = slot.load(std::memory_order_acquire);
    if (k == nullptr && (k = add_kind(slot, f)) == nullptr) return nullptr;
    if (k->is(f)) return k;
  }
  return nullptr;
}

// As add_outcome, for a kind.
const RequestKind* HttpMetrics::add_kind(std::atomic<RequestKind*>& slot, const HttpRequestFacts& f) const noexcept {
  try {
    std::unique_ptr<RequestKind> made(new RequestKind(f, client_, mode_, active_.get()));
    RequestKind* found = nullptr;
    if (slot.compare_exchange_strong(found, made.get(), std::memory_order_acq_rel)) return made.release();
    return found;
  } catch (...) {
    return nullptr;
  }
}

HttpMetrics::~HttpMetrics() {
  for (auto& k : kinds_) delete k.load(std::memory_order_relaxed);
}

void HttpMetrics::active_listed(const HttpRequestFacts& f, std::int64_t delta) const noexcept {
  AttributeBuffer<8> a;
  std::array<char, 4> unused;
  stable_attributes(f, client_, false, a, unused);
  try {
    active_->count(a.list()).fetch_add(delta, std::memory_order_relaxed);
  } catch (...) {
    // Out of memory for a new count: this change is lost (and so, at worst, is one of its end).
  }
}

void HttpMetrics::duration(const HttpRequestFacts& f, const RequestKind* kind, std::chrono::nanoseconds took,
                           const trace::SpanContext& span) const noexcept {
  const double ms = std::chrono::duration<double, std::milli>(took).count();
  const RequestKind::Outcome* o = kind != nullptr ? kind->outcome(f, client_, mode_) : nullptr;
  if (duration_.enabled()) {
    if (o != nullptr) {
      duration_.record(ms / 1000, o->stable, span);
    } else {
      AttributeBuffer<8> a;
      std::array<char, 4> status_buffer;
      stable_attributes(f, client_, true, a, status_buffer);
      duration_.record(ms / 1000, a.list(), span);
    }
  }
  if (duration_old_.enabled()) {
    if (o != nullptr) {
      duration_old_.record(ms, o->old, span);
    } else {
      AttributeBuffer<8> a;
      old_attributes(f, client_, a);
      duration_old_.record(ms, a.list(), span);
    }
  }
}

void HttpMetrics::time_in_queue(const HttpRequestFacts& f, const RequestKind* kind, std::chrono::nanoseconds waited,
                                const trace::SpanContext& span) const noexcept {
  if (!queue_.enabled()) return;
  const double s = std::chrono::duration<double>(waited).count();
  if (kind != nullptr) return queue_.record(s, kind->started_, span);
  AttributeBuffer<8> a;
  std::array<char, 4> unused;
  stable_attributes(f, true, false, a, unused);
  queue_.record(s, a.list(), span);
}

/// The semantic conventions' bucket advice for connection durations in seconds.
static const std::vector<double>& connection_buckets() {
  static const std::vector<double> b{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300};
  return b;
}

ConnectionMetrics::ConnectionMetrics(const std::shared_ptr<metrics::MeterProvider>& provider,
                                     const metrics::Meter& meter, SemconvMode mode)
    : stable_(reports_stable(mode)) {
  if (!stable_) return;
  duration_ = meter.create_histogram("http.client.connection.duration",
                                     {.unit = "s",
                                      .description = "The duration of the successfully established outbound HTTP connections.",
                                      .bucket_boundaries = connection_buckets()});
  open_ = ObservedCounts::of(
      provider, meter, "http.client.open_connections",
      {.unit = "{connection}",
       .description = "Number of outbound HTTP connections that are currently active or idle on the client."});
}

ConnectionMetrics::OriginCounts* ConnectionMetrics::counts(const http::Origin& origin) {
  std::lock_guard lock(mu_);
  for (auto& c : origins_)
    if (c->origin == origin) return c.get();
  auto c = std::make_unique<OriginCounts>();
  c->origin = origin;
  // The duration's attributes; the open connections' are the same with their state first.
  std::array<Attribute, 5> a{{{"http.connection.state", "active"},
                              {"server.address", c->origin.host},
                              {"server.port", c->origin.port},
                              {"url.scheme", scheme_value(c->origin.scheme)},
                              {"network.protocol.version", "1.1"}}};
  c->attributes = metrics::AttributeSet(metrics::AttributeList(a).subspan(1));
  c->counts.active = &open_->count(a);
  a[0].value = "idle";
  c->counts.idle = &open_->count(a);
  origins_.push_back(std::move(c));
  return origins_.back().get();
}

void ConnectionMetrics::changed(const http::ConnectionStateParams& p) noexcept {
  if (!stable_) return;
  if (p.from == http::ConnectionState::Closed) {
    // Counted from its making, if a provider takes measurements then, to its close (so a
    // provider installed later counts the connections made after it).
    if (p.counts == nullptr || (!duration_.enabled() && !open_->enabled())) return;
    try {
      OriginCounts* c = counts(p.origin);
      p.ctx.emplace<OriginCounts*>(c);
      *p.counts = c->counts;
    } catch (...) {
      // Out of memory for a new origin: this connection is not counted.
    }
    return;
  }
  if (p.to != http::ConnectionState::Closed) return;  // (not told of moves it counts)
  auto** kept = p.ctx.get<OriginCounts*>();
  if (kept == nullptr) return;
  const OriginCounts* c = *kept;
  p.ctx.reset();
  // No exemplar: whichever span is current when a connection closes is not its own.
  duration_.record(std::chrono::duration<double>(p.age).count(), c->attributes, kNoExemplar);
}

}  // namespace tracehop::instrument::detail
