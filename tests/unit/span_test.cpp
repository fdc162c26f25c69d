#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.hpp"

using namespace tracehop::trace;
using tracehop::test::MemoryProvider;

TEST(Span, RecordsAttributesEventsLinksStatus) {
  MemoryProvider p;
  auto span = p.tracer->start_span("op", {.kind = SpanKind::Client});
  ASSERT_TRUE(span.is_recording());
  span.set_attribute("b", true);
  span.set_attribute("i", 42);
  span.set_attribute("d", 1.5);
  span.set_attribute("s", "text");
  span.set_attribute("arr", {"x", "y"});
  span.add_event("ev", {{"k", "v"}});
  auto other = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  span.add_link(other, {{"why", "batch"}});
  span.set_status(StatusCode::Error, "boom");
  span.end();
  auto spans = p.spans();
  ASSERT_EQ(spans.size(), 1u);
  const auto& d = *spans[0];
  EXPECT_EQ(d.name, "op");
  EXPECT_EQ(d.kind, SpanKind::Client);
  EXPECT_EQ(d.attributes.size(), 5u);
  EXPECT_EQ(*find_attribute(d.attributes, "i")->get_if<std::int64_t>(), 42);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].name, "ev");
  ASSERT_EQ(d.links.size(), 1u);
  EXPECT_EQ(d.links[0].context.span_id(), other.span_id());
  EXPECT_EQ(d.status.code, StatusCode::Error);
  EXPECT_EQ(d.status.description, "boom");
  EXPECT_GE(d.end_time, d.start_time);
  EXPECT_EQ(d.scope->name, "test");
  EXPECT_EQ(d.scope->version, "1.0");
}

TEST(Span, EndIsIdempotentAndFreezesTheSpan) {
  MemoryProvider p;
  auto span = p.tracer->start_span("op");
  span.end();
  auto end_time = p.spans().at(0)->end_time;
  span.end();
  span.set_attribute("late", 1);
  span.add_event("late");
  span.set_status(StatusCode::Error);
  span.update_name("renamed");
  EXPECT_FALSE(span.is_recording());
  auto spans = p.spans();
  ASSERT_EQ(spans.size(), 1u);  // exported once
  EXPECT_EQ(spans[0]->end_time, end_time);
  EXPECT_TRUE(spans[0]->attributes.empty());
  EXPECT_TRUE(spans[0]->events.empty());
  EXPECT_EQ(spans[0]->status.code, StatusCode::Unset);
  EXPECT_EQ(spans[0]->name, "op");
}

TEST(Span, CopiesShareTheSpan) {
  MemoryProvider p;
  auto a = p.tracer->start_span("op");
  auto b = a;
  b.set_attribute("via", "copy");
  a.end();
  EXPECT_FALSE(b.is_recording());
  EXPECT_EQ(p.spans().at(0)->attributes.size(), 1u);
}

TEST(Span, OkStatusIsFinalAndUnsetIsIgnored) {
  MemoryProvider p;
  auto span = p.tracer->start_span("op");
  span.set_status(StatusCode::Error, "first");
  span.set_status(StatusCode::Unset);
  span.set_status(StatusCode::Ok, "ignored description");
  span.set_status(StatusCode::Error, "too late");
  span.end();
  EXPECT_EQ(p.spans().at(0)->status.code, StatusCode::Ok);
  EXPECT_EQ(p.spans().at(0)->status.description, "");
}

TEST(Span, RecordExceptionAddsEvent) {
  MemoryProvider p;
  auto span = p.tracer->start_span("op");
  try {
    throw std::runtime_error("disk full");
  } catch (const std::exception& e) {
    span.record_exception(e, {{"exception.escaped", true}});
  }
  try {
    throw 42;
  } catch (...) {
    span.record_exception(std::current_exception());
  }
  span.end();
  const auto& ev = p.spans().at(0)->events;
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].name, "exception");
  EXPECT_EQ(*find_attribute(ev[0].attributes, "exception.type")->get_if<std::string>(), "std::runtime_error");
  EXPECT_EQ(*find_attribute(ev[0].attributes, "exception.message")->get_if<std::string>(), "disk full");
  EXPECT_TRUE(find_attribute(ev[0].attributes, "exception.escaped"));
  EXPECT_EQ(*find_attribute(ev[1].attributes, "exception.type")->get_if<std::string>(), "int");
}

TEST(Span, UpdateName) {
  MemoryProvider p;
  auto span = p.tracer->start_span("GET");
  span.update_name("GET /items/{sku}");
  span.end();
  EXPECT_EQ(p.spans().at(0)->name, "GET /items/{sku}");
}

TEST(Span, NonRecordingSpanIgnoresEverything) {
  Span s;
  EXPECT_FALSE(s.is_recording());
  EXPECT_FALSE(s);
  s.set_attribute("a", 1);
  s.add_event("e");
  s.end();
  tracehop::test::MemoryProvider p({.sampler = always_off_sampler()});
  Span dropped = p.tracer->start_span("dropped");
  EXPECT_TRUE(dropped);  // a valid context, propagated, but nothing recorded
  EXPECT_FALSE(dropped.is_recording());
  dropped.set_attribute("a", 1);
  dropped.end();
  EXPECT_TRUE(p.spans().empty());
}

TEST(SpanLimits, CountsAreEnforcedAndDroppedCounted) {
  SpanLimits lim;
  lim.attribute_count = 2;
  lim.event_count = 1;
  lim.link_count = 1;
  lim.attributes_per_event = 1;
  lim.attribute_value_length = 4;
  MemoryProvider p({.limits = lim});
  auto span = p.tracer->start_span("op", {.attributes = {{"a", "long value"}, {"b", 2}, {"c", 3}}});
  span.set_attribute("d", 4);
  span.add_event("e1", {{"x", 1}, {"y", 2}});
  span.add_event("e2");
  auto other = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  span.add_link(other);
  span.add_link(other);
  span.end();
  const auto& d = *p.spans().at(0);
  EXPECT_EQ(d.attributes.size(), 2u);
  EXPECT_EQ(d.dropped_attributes, 2u);
  EXPECT_EQ(*find_attribute(d.attributes, "a")->get_if<std::string>(), "long");
  EXPECT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.dropped_events, 1u);
  EXPECT_EQ(d.events[0].attributes.size(), 1u);
  EXPECT_EQ(d.events[0].dropped_attributes, 1u);
  EXPECT_EQ(d.links.size(), 1u);
  EXPECT_EQ(d.dropped_links, 1u);
}

TEST(SpanLimits, ARepeatedStartKeyKeepsItsFirstPlaceAndLastValue) {
  MemoryProvider p;
  // "axcd" and "aycd" share a key bit (length and last character): both stay; so do two
  // different keys of 70 characters.
  const std::string long_a(70, 'a'), long_b = std::string(69, 'a') + "b";
  Attributes start{{"k", 1}, {"axcd", 2}, {"aycd", 3}, {"k", 4}, {"other", 5}};
  for (int i = 0; i < 66; ++i) start.push_back({AttributeKey("key" + std::to_string(i)), i});
  start.push_back({AttributeKey(long_a), 1});
  start.push_back({AttributeKey(long_b), 2});
  start.push_back({AttributeKey(long_a), 3});
  start.push_back({"key60", "again"});
  p.tracer->start_span("op", {.attributes = start}).end();
  const auto& d = *p.spans().at(0);
  ASSERT_EQ(d.attributes.size(), 72u);
  EXPECT_EQ(d.attributes[0].key.view(), "k");
  EXPECT_EQ(*d.attributes[0].value.get_if<std::int64_t>(), 4);
  EXPECT_EQ(*find_attribute(d.attributes, "axcd")->get_if<std::int64_t>(), 2);
  EXPECT_EQ(*find_attribute(d.attributes, "aycd")->get_if<std::int64_t>(), 3);
  EXPECT_EQ(d.attributes[3].key.view(), "other");
  EXPECT_EQ(*find_attribute(d.attributes, "key60")->get_if<std::string>(), "again");
  EXPECT_EQ(*find_attribute(d.attributes, long_a)->get_if<std::int64_t>(), 3);
  EXPECT_EQ(*find_attribute(d.attributes, long_b)->get_if<std::int64_t>(), 2);
  EXPECT_EQ(d.dropped_attributes, 0u);
}

TEST(SpanLimits, AKeySetAfterStartReplacesTheSameKeyFromAnywhere) {
  // Keys from the options, from the start-attribute callback, from the sampler and from earlier
  // set_attribute calls are all replaced in place; keys of the same length that differ, of 64
  // characters or more, or empty, behave as always.
  class Adds final : public Sampler {
   public:
    SamplingResult should_sample(const SamplingParameters&) const override {
      return {SamplingDecision::RecordAndSample, {{"smp", 1}}, std::nullopt};
    }
    std::string description() const override { return "Adds"; }
  };
  SpanLimits lim;
  lim.attribute_count = 7;
  lim.attribute_value_length = 3;
  MemoryProvider p({.sampler = std::make_shared<Adds>(), .limits = lim});
  const std::string long_key(64, 'k');
  for (int round = 0; round < 3; ++round) {  // the span's storage is reused from round to round
    auto span = p.tracer->start_span("op", {.attributes = {{"opt", 1}}}, [](Attributes& a) { a.push_back({"cb", 1}); });
    span.set_attribute("opt", 2);
    span.set_attribute("cb", 2);
    span.set_attribute("smp", 2);
    span.set_attribute("new", "abcdef");  // same length as "opt" and "smp", a different key
    span.set_attribute("new", "xyz");
    span.set_attribute(AttributeKey(long_key), 1);
    span.set_attribute(AttributeKey(long_key), 2);
    span.set_attribute(AttributeKey(std::string_view()), 1);  // empty: dropped
    span.set_attribute("a", 1);
    span.set_attribute("b", 1);
    span.set_attribute("c", 1);   // the eighth key: past the limit of 7
    span.set_attribute("a", 2);   // a kept key still takes a new value
    span.end();
    const auto& d = *p.spans().back();
    SCOPED_TRACE(round);
    ASSERT_EQ(d.attributes.size(), 7u);
    EXPECT_EQ(d.attributes[0].key.view(), "opt");
    EXPECT_EQ(*d.attributes[0].value.get_if<std::int64_t>(), 2);
    EXPECT_EQ(d.attributes[1].key.view(), "cb");
    EXPECT_EQ(*d.attributes[1].value.get_if<std::int64_t>(), 2);
    EXPECT_EQ(d.attributes[2].key.view(), "smp");
    EXPECT_EQ(*d.attributes[2].value.get_if<std::int64_t>(), 2);
    EXPECT_EQ(*find_attribute(d.attributes, "new")->get_if<std::string>(), "xyz");
    EXPECT_EQ(*find_attribute(d.attributes, long_key)->get_if<std::int64_t>(), 2);
    EXPECT_EQ(*find_attribute(d.attributes, "a")->get_if<std::int64_t>(), 2);
    EXPECT_FALSE(find_attribute(d.attributes, "c"));
    EXPECT_EQ(d.dropped_attributes, 2u);  // the empty key and "c"
  }
  // A value set after start is truncated like one given at start.
  auto span = p.tracer->start_span("op");
  span.set_attribute("fresh", "abcdef");
  span.end();
  EXPECT_EQ(*find_attribute(p.spans().back()->attributes, "fresh")->get_if<std::string>(), "abc");
}

TEST(SpanLimits, FromEnv) {
  using tracehop::test::ScopedEnv;
  ScopedEnv a("OTEL_ATTRIBUTE_COUNT_LIMIT", "10");
  ScopedEnv b("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "5");
  ScopedEnv c("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64");
  ScopedEnv d("OTEL_SPAN_EVENT_COUNT_LIMIT", "3");
  ScopedEnv e("OTEL_SPAN_LINK_COUNT_LIMIT", "4");
  ScopedEnv f("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "6");
  ScopedEnv g("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "7");
  auto l = SpanLimits::from_env();
  EXPECT_EQ(l.attribute_count, 5u);  // the span-specific one wins
  EXPECT_EQ(l.attribute_value_length, 64u);
  EXPECT_EQ(l.event_count, 3u);
  EXPECT_EQ(l.link_count, 4u);
  EXPECT_EQ(l.attributes_per_event, 6u);
  EXPECT_EQ(l.attributes_per_link, 7u);
}

TEST(SpanLimits, BadEnvValueIsLoggedAndIgnored) {
  tracehop::test::LogCapture logs;
  tracehop::test::ScopedEnv a("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "lots");
  EXPECT_EQ(SpanLimits::from_env().attribute_count, 128u);
  EXPECT_TRUE(logs.contains("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"));
}

namespace {
// Keeps a copy of what each ended span held, and where its data lived, but not the span: its
// last handle goes as on_end returns, so the span goes back to the pool to be started again.
class Snapshots final : public SpanProcessor {
 public:
  void on_start(SpanData&, const Context&) noexcept override {}
  void on_end(SpanDataPtr span) noexcept override {
    addresses.insert(span.get());
    copies.push_back(SpanData(*span));
  }
  bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
  bool shutdown(std::chrono::milliseconds) noexcept override { return true; }

  std::set<const SpanData*> addresses;
  std::vector<SpanData> copies;
};
}  // namespace

TEST(Span, AReusedSpanStartsWithNothingOfItsLastOne) {
  auto snapshots = std::make_shared<Snapshots>();
  TracerProvider provider;
  provider.add_span_processor(snapshots);
  auto tracer = provider.get_tracer("reuse");
  const auto other = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  // More spans than the pool keeps, so that every one of them is started again.
  constexpr int kSpans = 2500;
  for (int i = 0; i < kSpans; ++i) {
    if (i % 2 == 0) {  // every other span carries all there is; the others carry nothing
      auto span = tracer->start_span(std::string(300, 'n') + std::to_string(i),
                                     {.attributes = {{"start", i}},
                                      .links = {Link{other, {{"why", "batch"}}, 0}}});
      for (int a = 0; a < 40; ++a) span.set_attribute(std::string("a") + std::to_string(a), std::string(40, 'v'));
      span.add_event("ev", {{"k", "v"}});
      span.set_status(StatusCode::Error, "boom");
      span.end();
    } else {
      tracer->start_span(std::to_string(i)).end();
    }
  }
  ASSERT_EQ(snapshots->copies.size(), static_cast<std::size_t>(kSpans));
  EXPECT_LT(snapshots->addresses.size(), snapshots->copies.size());  // spans were reused
  for (int i = 0; i < kSpans; ++i) {
    const SpanData& d = snapshots->copies[i];
    SCOPED_TRACE(i);
    if (i % 2 == 0) {
      EXPECT_EQ(d.name, std::string(300, 'n') + std::to_string(i));
      ASSERT_EQ(d.attributes.size(), 41u);
      EXPECT_EQ(*d.attributes[0].value.get_if<std::int64_t>(), i);
      EXPECT_EQ(d.events.size(), 1u);
      EXPECT_EQ(d.links.size(), 1u);
      EXPECT_EQ(d.status.code, StatusCode::Error);
    } else {
      EXPECT_EQ(d.name, std::to_string(i));
      EXPECT_TRUE(d.attributes.empty());
      EXPECT_TRUE(d.events.empty());
      EXPECT_TRUE(d.links.empty());
      EXPECT_EQ(d.status, Status{});
      EXPECT_EQ(d.dropped_attributes + d.dropped_events + d.dropped_links, 0u);
    }
    EXPECT_GE(d.end_time, d.start_time);
    EXPECT_EQ(d.scope->name, "reuse");
  }
}

TEST(Span, StartAttributesThatThrowLoseNoSpan) {
  auto snapshots = std::make_shared<Snapshots>();
  TracerProvider provider;
  provider.add_span_processor(snapshots);
  auto tracer = provider.get_tracer("reuse");
  for (int i = 0; i < 3; ++i)
    EXPECT_THROW(tracer->start_span("op", {}, [](Attributes& a) {
      a.push_back({"half", 1});
      throw std::runtime_error("no attributes");
    }),
                 std::runtime_error);
  // The abandoned spans were never ended (nothing exported) and went back to be reused whole.
  EXPECT_TRUE(snapshots->copies.empty());
  for (int i = 0; i < 2000; ++i) tracer->start_span("after").end();
  ASSERT_EQ(snapshots->copies.size(), 2000u);
  for (const auto& d : snapshots->copies) {
    EXPECT_TRUE(d.attributes.empty());
    EXPECT_EQ(d.name, "after");
  }
}

TEST(Span, ASpanLetGoWithoutEndKeepsNoProviderAlive) {
  // A span dropped unended goes back to the pool: it must not keep its provider (and so the
  // provider's processors and exporters) alive there.
  struct Watch final : SpanProcessor {
    explicit Watch(bool* gone) : gone_(gone) {}
    ~Watch() override { *gone_ = true; }
    void on_start(SpanData&, const Context&) noexcept override {}
    void on_end(SpanDataPtr) noexcept override {}
    bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
    bool* gone_;
  };
  bool gone = false;
  {
    TracerProvider provider;
    provider.add_span_processor(std::make_shared<Watch>(&gone));
    auto tracer = provider.get_tracer("unended");
    for (int i = 0; i < 3; ++i) {
      auto span = tracer->start_span("never ended");
      EXPECT_TRUE(span.is_recording());
    }
  }
  EXPECT_TRUE(gone) << "an unended span in the pool kept its provider alive";
}
