#include "tracehop/trace/span.hpp"

#include <cassert>
#include <typeinfo>

#include "bounded_queue.hpp"
#include "internal.hpp"

namespace tracehop::trace {
namespace detail {
namespace {

// Ended spans waiting to be reused. Enough for the spans a batch processor lets go of at once
// (an export batch, 512 by default); beyond it a span is destroyed where its last handle goes.
constexpr std::size_t kSpareSpans = 1024;
BoundedQueue<RecordingSpan*>& spare_spans() {
  static auto* q = new BoundedQueue<RecordingSpan*>(kSpareSpans);  // never destroyed: spans outlive statics
  return *q;
}

// A reused span keeps the storage of its lists up to these sizes (so the pool holds at most a
// few MB); a larger one is freed, as an unusual span's should be.
constexpr std::size_t kKeptAttributes = 32;
constexpr std::size_t kKeptEvents = 16;
constexpr std::size_t kKeptName = 256;

template <class T>
void clear_keeping(std::vector<T>& v, std::size_t keep) noexcept {
  if (v.capacity() > keep)
    std::vector<T>().swap(v);
  else
    v.clear();
}

// What the last handle's release does to the span itself: nothing (the control block's
// deallocation, right after, gives it back to the pool).
struct KeepForReuse {
  void operator()(RecordingSpan*) const noexcept {}
};

}  // namespace

// The shared_ptr's control block is placed in the span's own storage, and giving it back returns
// the span to the pool.
template <class T>
struct InSpanAllocator {
  using value_type = T;
  explicit InSpanAllocator(RecordingSpan* s) noexcept : span(s) {}
  template <class U>
  InSpanAllocator(const InSpanAllocator<U>& o) noexcept : span(o.span) {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) noexcept {
    static_assert(sizeof(T) <= sizeof(RecordingSpan::control_block_) && alignof(T) <= alignof(std::max_align_t));
    assert(n == 1);
    (void)n;
    return reinterpret_cast<T*>(span->control_block_);
  }
  void deallocate(T*, std::size_t) noexcept { RecordingSpan::release(span); }
  template <class U>
  bool operator==(const InSpanAllocator<U>& o) const noexcept { return span == o.span; }

  RecordingSpan* span;
};

RecordingSpan* RecordingSpan::acquire(std::shared_ptr<ProviderState> provider, const ProcessorList* processors,
                                      const SpanLimits* limits) {
  RecordingSpan* span = nullptr;
  if (spare_spans().try_pop(span))
    span->clear();
  else
    span = new RecordingSpan;
  span->provider_ = std::move(provider);
  span->processors_ = processors;
  span->limits_ = limits;
  return span;
}

std::shared_ptr<RecordingSpan> RecordingSpan::share(RecordingSpan* span) {
  return std::shared_ptr<RecordingSpan>(span, KeepForReuse{}, InSpanAllocator<RecordingSpan>(span));
}

void RecordingSpan::release(RecordingSpan* span) noexcept {
  // A span let go without end() still holds its provider: a spare span keeps none alive.
  span->provider_.reset();
  if (!spare_spans().try_push(span)) delete span;
}

// Everything start() does not assign. The resource and scope stay: start() replaces them only
// if they differ (most spans of a thread share both).
void RecordingSpan::clear() noexcept {
  ended = false;
  steady_start = {};
  key_bits = 0;
  auto& d = data;
  if (d.name.capacity() > kKeptName) std::string().swap(d.name);
  clear_keeping(d.attributes, kKeptAttributes);
  clear_keeping(d.events, kKeptEvents);
  clear_keeping(d.links, kKeptEvents);
  d.end_time = {};
  d.status.code = StatusCode::Unset;
  d.status.description.clear();
  d.dropped_attributes = d.dropped_events = d.dropped_links = 0;
}

}  // namespace detail

std::string_view to_string(SpanKind kind) noexcept {
  switch (kind) {
    case SpanKind::Internal: return "INTERNAL";
    case SpanKind::Server: return "SERVER";
    case SpanKind::Client: return "CLIENT";
    case SpanKind::Producer: return "PRODUCER";
    case SpanKind::Consumer: return "CONSUMER";
  }
  return "INTERNAL";
}

std::string_view to_string(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::Unset: return "UNSET";
    case StatusCode::Ok: return "OK";
    case StatusCode::Error: return "ERROR";
  }
  return "UNSET";
}

bool Span::is_recording() const noexcept {
  if (!impl_) return false;
  std::lock_guard lk(impl_->mu);
  return !impl_->ended;
}


void Span::set_attribute_impl(AttributeKey&& key, AttributeValue&& value) {
  std::lock_guard lk(impl_->mu);
  if (impl_->ended) return;
  auto& d = impl_->data;
  const auto& lim = impl_->limits();
  const std::uint64_t bit = detail::key_bit(key.view());
  if (bit & ~impl_->key_bits) {  // a key surely new (and not empty): appended without a search
    if (d.attributes.size() >= lim.attribute_count) {
      ++d.dropped_attributes;
      return;
    }
    if (d.attributes.capacity() == 0) d.attributes.reserve(std::min<std::size_t>(lim.attribute_count, 8));
    if (lim.attribute_value_length != SIZE_MAX) value.truncate(lim.attribute_value_length);
    detail::emplace_attribute(d.attributes, std::move(key), std::move(value));
    impl_->key_bits |= bit;
    return;
  }
  if (!trace::set_attribute(d.attributes, std::move(key), std::move(value), lim.attribute_count,
                            lim.attribute_value_length))
    ++d.dropped_attributes;
  else
    impl_->key_bits |= bit;
}

void Span::set_attributes(Attributes attributes) {
  if (!impl_) return;
  for (auto& kv : attributes) set_attribute_impl(std::move(kv.key), std::move(kv.value));
}

void Span::add_event(std::string name, Attributes attributes, TimePoint time) {
  if (!impl_) return;
  std::lock_guard lk(impl_->mu);
  if (impl_->ended) return;
  auto& d = impl_->data;
  const auto& lim = impl_->limits();
  if (d.events.size() >= lim.event_count) {
    ++d.dropped_events;
    return;
  }
  Event e{std::move(name), time, {}, 0};
  for (auto& kv : attributes)
    if (!trace::set_attribute(e.attributes, std::move(kv.key), std::move(kv.value),
                              lim.attributes_per_event, lim.attribute_value_length))
      ++e.dropped_attributes;
  d.events.push_back(std::move(e));
}

void Span::add_link(SpanContext context, Attributes attributes) {
  if (!impl_ || !context.valid()) return;
  std::lock_guard lk(impl_->mu);
  if (impl_->ended) return;
  auto& d = impl_->data;
  const auto& lim = impl_->limits();
  if (d.links.size() >= lim.link_count) {
    ++d.dropped_links;
    return;
  }
  Link l{std::move(context), {}, 0};
  for (auto& kv : attributes)
    if (!trace::set_attribute(l.attributes, std::move(kv.key), std::move(kv.value),
                              lim.attributes_per_link, lim.attribute_value_length))
      ++l.dropped_attributes;
  d.links.push_back(std::move(l));
}

void Span::record_exception(const std::exception& e, Attributes extra) {
  if (!impl_) return;
  Attributes attrs;
  attrs.push_back({"exception.type", tracehop::detail::demangle(typeid(e).name())});
  attrs.push_back({"exception.message", std::string(e.what())});
  for (auto& kv : extra) trace::set_attribute(attrs, std::move(kv.key), std::move(kv.value));
  add_event("exception", std::move(attrs));
}

void Span::record_exception(const std::exception_ptr& e, Attributes extra) {
  if (!impl_ || !e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    record_exception(ex, std::move(extra));
  } catch (...) {
    Attributes attrs;
    attrs.push_back({"exception.type", tracehop::detail::exception_type(e)});
    for (auto& kv : extra) trace::set_attribute(attrs, std::move(kv.key), std::move(kv.value));
    add_event("exception", std::move(attrs));
  }
}

void Span::set_status(StatusCode code, std::string_view description) {
  if (!impl_ || code == StatusCode::Unset) return;
  std::lock_guard lk(impl_->mu);
  if (impl_->ended || impl_->data.status.code == StatusCode::Ok) return;
  impl_->data.status.code = code;
  impl_->data.status.description = code == StatusCode::Error ? std::string(description) : "";
}

void Span::update_name(std::string name) {
  if (!impl_) return;
  std::lock_guard lk(impl_->mu);
  if (!impl_->ended) impl_->data.name = std::move(name);
}

void Span::end_impl(TimePoint end_time) {
  std::shared_ptr<detail::ProviderState> provider;  // keeps the processors alive until we return
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->ended) return;
    impl_->ended = true;
    auto& d = impl_->data;
    // Durations come from the monotonic clock, so a wall-clock step cannot make them negative.
    // (A span given an explicit start time has no monotonic start: it ends on the wall clock.)
    if (end_time != TimePoint{})
      d.end_time = end_time;
    else if (impl_->steady_start == std::chrono::steady_clock::time_point{})
      d.end_time = Clock::now();
    else
      d.end_time = d.start_time + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::steady_clock::now() - impl_->steady_start);
    provider = impl_->release_provider();
  }
  // Aliasing pointer: processors share ownership of the whole span but see only its data.
  SpanDataPtr data(impl_, &impl_->data);
  const auto& processors = impl_->processors().processors;
  for (std::size_t i = 0; i < processors.size(); ++i)
    processors[i]->on_end(i + 1 == processors.size() ? std::move(data) : data);
}

}  // namespace tracehop::trace
