#include "tracehop/trace/span.hpp"

#include <typeinfo>

#include "internal.hpp"

namespace tracehop::trace {

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
  if (d.attributes.capacity() == 0) d.attributes.reserve(std::min<std::size_t>(lim.attribute_count, 8));
  if (!trace::set_attribute(d.attributes, std::move(key), std::move(value), lim.attribute_count,
                            lim.attribute_value_length))
    ++d.dropped_attributes;
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
