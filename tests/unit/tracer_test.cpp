#include <gtest/gtest.h>

#include <stdexcept>

#include "test_util.hpp"

using namespace tracehop::trace;
using tracehop::test::MemoryProvider;

TEST(Tracer, ChildOfCurrentSpan) {
  MemoryProvider p;
  {
    auto parent = p.tracer->start_as_current_span("parent");
    auto child = p.tracer->start_span("child");
    EXPECT_EQ(child.span_context().trace_id(), parent->span_context().trace_id());
    child.end();
  }
  auto spans = p.spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0]->name, "child");
  EXPECT_EQ(spans[0]->parent_span_id, spans[1]->context.span_id());
  EXPECT_FALSE(spans[1]->parent_span_id.valid());
  EXPECT_FALSE(current_span().span_context().valid());  // the scope restored the context
}

TEST(Tracer, ExplicitParentWinsOverCurrent) {
  MemoryProvider p;
  auto remote = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto current = p.tracer->start_as_current_span("current");
  auto span = p.tracer->start_span("server", {.kind = SpanKind::Server,
                                              .parent = Context{}.with_span(Span(remote))});
  span.end();
  const auto& d = *p.spans().at(0);
  EXPECT_EQ(d.context.trace_id(), remote.trace_id());
  EXPECT_EQ(d.parent_span_id, remote.span_id());
  EXPECT_TRUE(d.parent_remote);
  EXPECT_FALSE(d.context.remote());
  EXPECT_EQ(d.kind, SpanKind::Server);
}

TEST(Tracer, EmptyExplicitParentMakesRoot) {
  MemoryProvider p;
  auto current = p.tracer->start_as_current_span("current");
  auto root = p.tracer->start_span("root", {.parent = Context{}});
  EXPECT_NE(root.span_context().trace_id(), current->span_context().trace_id());
}

TEST(Tracer, RandomFlagOnNewTracesAndInheritedFromParent) {
  MemoryProvider p;
  auto root = p.tracer->start_span("root");
  EXPECT_TRUE(root.span_context().trace_flags().random());
  auto no_random = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto child = p.tracer->start_span("c", {.parent = Context{}.with_span(Span(no_random))});
  EXPECT_FALSE(child.span_context().trace_flags().random());
  auto with_random = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
  auto child2 = p.tracer->start_span("c2", {.parent = Context{}.with_span(Span(with_random))});
  EXPECT_TRUE(child2.span_context().trace_flags().random());
}

TEST(Tracer, TraceStateIsInheritedFromParent) {
  MemoryProvider p;
  auto sc = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  SpanContext with_state(sc.trace_id(), sc.span_id(), sc.trace_flags(), true, *TraceState::parse("v=1"));
  auto span = p.tracer->start_span("c", {.parent = Context{}.with_span(Span(with_state))});
  EXPECT_EQ(span.span_context().trace_state().get("v"), "1");
}

namespace {
// Records what it was shown and samples only spans with attribute sample=true.
class AttributeSampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters& p) const override {
    seen_links = p.links.size();
    const auto* v = find_attribute(p.attributes, "sample");
    const bool yes = v && v->get_if<bool>() && *v->get_if<bool>();
    SamplingResult r{yes ? SamplingDecision::RecordAndSample : SamplingDecision::Drop, {}, std::nullopt};
    if (yes) {
      r.attributes.push_back({"sampler.added", "yes"});
      r.trace_state = TraceState{}.set("smp", "1");
    }
    return r;
  }
  std::string description() const override { return "AttributeSampler"; }
  mutable std::size_t seen_links = 0;
};
}  // namespace

TEST(Tracer, SamplerSeesStartAttributesAndLinks) {
  auto sampler = std::make_shared<AttributeSampler>();
  MemoryProvider p({.sampler = sampler});
  auto link = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto yes = p.tracer->start_span("yes", {.attributes = {{"sample", true}}, .links = {Link{link, {}, 0}}});
  EXPECT_EQ(sampler->seen_links, 1u);
  auto no = p.tracer->start_span("no", {.attributes = {{"sample", false}}});
  EXPECT_TRUE(yes.is_recording());
  EXPECT_TRUE(yes.span_context().sampled());
  EXPECT_EQ(yes.span_context().trace_state().get("smp"), "1");
  EXPECT_FALSE(no.is_recording());
  EXPECT_TRUE(no.span_context().valid());  // a dropped span still has a real context
  EXPECT_FALSE(no.span_context().sampled());
  yes.end();
  no.end();
  ASSERT_EQ(p.spans().size(), 1u);
  EXPECT_TRUE(find_attribute(p.spans()[0]->attributes, "sampler.added"));
  EXPECT_EQ(p.spans()[0]->links.size(), 1u);
}

TEST(Tracer, ACustomDelegateOfParentBasedIsAskedInFull) {
  // ParentBased takes the shortcut only where its delegate does: the custom root is asked with
  // the start attributes, and what it adds (an attribute, a trace state) is kept.
  auto custom = std::make_shared<AttributeSampler>();
  MemoryProvider p({.sampler = parent_based_sampler(custom)});
  SamplingDecision d{};
  EXPECT_FALSE(p.provider->sampler().decide(SpanContext{}, TraceId{}, d));
  auto yes = p.tracer->start_span("root", {}, [](Attributes& a) { a.push_back({"sample", true}); });
  EXPECT_TRUE(yes.is_recording());
  EXPECT_EQ(yes.span_context().trace_state().get("smp"), "1");
  {
    // A sampled local parent: the default delegate (always on) decides by the shortcut.
    const Scope scope(Context::current().with_span(yes));
    auto child = p.tracer->start_span("child", {.attributes = {{"sample", false}}});
    EXPECT_TRUE(child.is_recording());
    EXPECT_EQ(child.span_context().trace_state().get("smp"), "1");  // inherited from the parent
    child.end();
  }
  yes.end();
  auto no = p.tracer->start_span("root", {.attributes = {{"sample", false}}});
  EXPECT_FALSE(no.is_recording());
  ASSERT_EQ(p.spans().size(), 2u);
  EXPECT_FALSE(find_attribute(p.spans()[0]->attributes, "sampler.added"));  // the child's
  EXPECT_TRUE(find_attribute(p.spans()[1]->attributes, "sampler.added"));
}

TEST(Tracer, UnsampledParentGivesNonRecordingChildWithFlags00) {
  MemoryProvider p;
  auto parent = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  auto span = p.tracer->start_span("c", {.parent = Context{}.with_span(Span(parent))});
  EXPECT_FALSE(span.is_recording());
  EXPECT_EQ(span.span_context().trace_id(), parent.trace_id());
  EXPECT_NE(span.span_context().span_id(), parent.span_id());
  EXPECT_EQ(span.span_context().trace_flags().bits(), 0x00);
}

TEST(Tracer, CustomStartTime) {
  MemoryProvider p;
  const auto t0 = TimePoint(std::chrono::seconds(1'700'000'000));
  auto span = p.tracer->start_span("old", {.start_time = t0});
  span.end(t0 + std::chrono::milliseconds(5));
  EXPECT_EQ(p.spans().at(0)->start_time, t0);
  EXPECT_EQ(p.spans().at(0)->duration(), std::chrono::milliseconds(5));
}

TEST(Tracer, ScopedSpanSetsErrorWhenLeftByException) {
  MemoryProvider p;
  try {
    auto s = p.tracer->start_as_current_span("failing");
    throw std::runtime_error("x");
  } catch (const std::exception&) {
  }
  EXPECT_EQ(p.spans().at(0)->status.code, StatusCode::Error);
}

TEST(Tracer, ShutdownProviderMakesNonRecordingSpans) {
  MemoryProvider p;
  p.provider->shutdown();
  auto span = p.tracer->start_span("after");
  EXPECT_FALSE(span.is_recording());
}

TEST(Tracer, ProcessorOnStartMayAddAttributes) {
  struct Tagger : SpanProcessor {
    void on_start(SpanData& s, const Context&) noexcept override { s.attributes.push_back({"tag", 1}); }
    void on_end(SpanDataPtr) noexcept override {}
    bool force_flush(std::chrono::milliseconds) noexcept override { return true; }
    bool shutdown(std::chrono::milliseconds) noexcept override { return true; }
  };
  MemoryProvider p;
  p.provider->add_span_processor(std::make_shared<Tagger>());
  auto span = p.tracer->start_span("x");
  span.end();
  EXPECT_TRUE(find_attribute(p.spans().at(0)->attributes, "tag"));
}

TEST(GlobalProvider, TracerObtainedBeforeProviderBindsLate) {
  set_tracer_provider(nullptr);
  auto early = get_tracer("early");  // before any provider: the guide's NoOpTracer pitfall
  auto before = early->start_span("before");
  EXPECT_FALSE(before.is_recording());

  MemoryProvider p;
  set_tracer_provider(p.provider);
  auto after = early->start_span("after");
  EXPECT_TRUE(after.is_recording());
  after.end();
  ASSERT_EQ(p.spans().size(), 1u);
  EXPECT_EQ(p.spans()[0]->scope->name, "early");
  set_tracer_provider(nullptr);
}

TEST(GlobalProvider, WithoutProviderSpansCarryTheParentContext) {
  set_tracer_provider(nullptr);
  auto remote = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  Scope s(Context{}.with_span(Span(remote)));
  auto span = get_tracer("x")->start_span("noop");
  EXPECT_FALSE(span.is_recording());
  EXPECT_EQ(span.span_context(), remote);  // so propagation downstream still works
}

TEST(GlobalProvider, ShutdownFlushesEverything) {
  auto exp = std::make_unique<InMemorySpanExporter>();
  auto* mem = exp.get();
  auto provider = std::make_shared<TracerProvider>();
  provider->add_span_processor(std::make_shared<BatchSpanProcessor>(
      std::move(exp), BatchSpanProcessorOptions{.schedule_delay = std::chrono::hours(1)}));
  set_tracer_provider(provider);
  for (int i = 0; i < 100; ++i) get_tracer("t")->start_span("s").end();
  EXPECT_TRUE(shutdown());
  EXPECT_EQ(mem->finished_spans().size(), 100u);
  set_tracer_provider(nullptr);
}

TEST(TracerProvider, DefaultsComeFromTheEnvironment) {
  using tracehop::test::ScopedEnv;
  ScopedEnv a("OTEL_TRACES_SAMPLER", "always_off");
  ScopedEnv b("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3");
  TracerProvider provider;
  EXPECT_EQ(provider.sampler().description(), "AlwaysOffSampler");
  EXPECT_EQ(provider.limits().attribute_count, 3u);
  TracerProvider explicit_one({.sampler = always_on_sampler(), .limits = SpanLimits{}});
  EXPECT_EQ(explicit_one.sampler().description(), "AlwaysOnSampler");
  EXPECT_EQ(explicit_one.limits().attribute_count, 128u);
}

TEST(Tracer, EnabledOnlyWhileAProviderCanRecord) {
  MemoryProvider p;
  EXPECT_TRUE(p.tracer->enabled());
  auto global = get_tracer("late-bound");
  set_tracer_provider(nullptr);
  EXPECT_FALSE(global->enabled());
  set_tracer_provider(p.provider);
  EXPECT_TRUE(global->enabled());  // bound late, as its spans are
  p.provider->shutdown();
  EXPECT_FALSE(p.tracer->enabled());
  EXPECT_FALSE(global->enabled());
  set_tracer_provider(nullptr);
}

TEST(Tracer, WithoutAnSdkAScopedSpanOverNoSpanAttachesNothing) {
  set_tracer_provider(nullptr);
  const auto tracer = get_tracer("no-sdk");
  const auto depth = current_slot().depth();
  {
    auto scoped = tracer->start_as_current_span("nothing");
    EXPECT_FALSE(scoped.span().span_context().valid());
    EXPECT_EQ(current_slot().depth(), depth);  // it would make current what is current already
    EXPECT_FALSE(current_span().span_context().valid());
  }
  // Over a valid parent the scoped span (the parent's context, without an SDK) is attached.
  const SpanContext remote(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"), *SpanId::from_hex("00f067aa0ba902b7"),
                           TraceFlags(0x01), true);
  const Scope parent(Context::current().with_span(Span(remote)));
  {
    auto scoped = tracer->start_as_current_span("child");
    EXPECT_EQ(current_slot().depth(), depth + 2);
    EXPECT_EQ(current_span().span_context().span_id(), remote.span_id());
  }
  EXPECT_EQ(current_slot().depth(), depth + 1);
}

namespace {
// Ids counted up from 1: a provider's own generator, which the tracer must ask for every id.
class CountingIds final : public IdGenerator {
 public:
  TraceId new_trace_id() override {
    TraceId::Bytes b{};
    b[15] = ++traces;
    return TraceId(b);
  }
  SpanId new_span_id() override {
    SpanId::Bytes b{};
    b[7] = ++spans;
    return SpanId(b);
  }
  std::uint8_t traces = 0, spans = 0;
};
}  // namespace

TEST(Tracer, AProvidersOwnIdGeneratorMakesEveryIdSampledOrNot) {
  // (The default generator's ids are drawn inline; any other is called through IdGenerator.)
  auto ids = std::make_shared<CountingIds>();
  for (const bool sampled : {true, false}) {
    MemoryProvider p({.sampler = sampled ? always_on_sampler() : always_off_sampler(), .id_generator = ids});
    auto root = p.tracer->start_span("root");
    EXPECT_EQ(root.span_context().trace_id().to_hex(), "0000000000000000000000000000000" + std::to_string(sampled ? 1 : 2));
    EXPECT_EQ(root.span_context().span_id().to_hex(), "000000000000000" + std::to_string(sampled ? 1 : 3));
    EXPECT_FALSE(root.span_context().trace_flags().random()) << "counted ids are not random";
    auto child = p.tracer->start_span("child", {.parent = Context{}.with_span(root)});
    EXPECT_EQ(child.span_context().trace_id(), root.span_context().trace_id());
    EXPECT_EQ(child.span_context().span_id().to_hex(), "000000000000000" + std::to_string(sampled ? 2 : 4));
  }
  EXPECT_EQ(ids->traces, 2);
  EXPECT_EQ(ids->spans, 4);
}
