// trace_ops OP N: runs one operation N times. Run under valgrind at two values of N, the
// difference divided by the difference of N is the exact cost of one operation, start-up and
// shutdown excluded (bench/count-ops does this).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench_ops.hpp"

using namespace tracehop;
using namespace tracehop::bench;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: trace_ops span|unsampled|unsampled-bare|inject|extract|current N\n");
    return 2;
  }
  const char* op = argv[1];
  const long n = std::atol(argv[2]);
  // A queue that holds every span, so none is dropped (a dropped span costs less than an
  // exported one).
  Sdk sdk(std::strncmp(op, "unsampled", 9) == 0 ? trace::always_off_sampler() : trace::always_on_sampler(),
          {.max_queue_size = static_cast<std::size_t>(n) + 1, .schedule_delay = std::chrono::milliseconds(50)});
  auto sc = *trace::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  const auto ctx = trace::Context{}.with_span(trace::Span(sc));
  const auto prop = trace::trace_context_propagator();
  BenchCarrier carrier;
  carrier.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto current = sdk.tracer->start_span("current");
  const trace::Context empty;
  std::size_t sink = 0;

  enum class Op { Span, Bare, Inject, Extract, Current } which;
  if (std::strcmp(op, "span") == 0 || std::strcmp(op, "unsampled") == 0) which = Op::Span;
  else if (std::strcmp(op, "unsampled-bare") == 0) which = Op::Bare;
  else if (std::strcmp(op, "inject") == 0) which = Op::Inject;
  else if (std::strcmp(op, "extract") == 0) which = Op::Extract;
  else if (std::strcmp(op, "current") == 0) which = Op::Current;
  else {
    std::fprintf(stderr, "unknown op %s\n", op);
    return 2;
  }

  for (long i = 0; i < n; ++i) {
    switch (which) {
      case Op::Span:
        span_with_4_attributes(*sdk.tracer);
        // Valgrind runs one thread at a time and would let the producer run far ahead of the
        // batch processor's worker. Flushing once per batch (512 spans) makes the worker run
        // as often as it does on a real second core, so its cost is counted in steady state.
        if (i % 512 == 511) sdk.processor->force_flush();
        break;
      case Op::Bare:  // start + end, no attributes
        sdk.tracer->start_span("GET").end();
        break;
      case Op::Inject:
        prop->inject(carrier, ctx);
        sink += carrier.traceparent.size();
        break;
      case Op::Extract:
        sink += prop->extract(carrier, empty).span().span_context().valid();
        break;
      case Op::Current: {
        trace::Scope scope(trace::Context::current().with_span(current));
        sink += trace::current_span().span_context().valid();
        break;
      }
    }
  }
  current.end();
  sdk.provider->shutdown();
  const auto s = sdk.processor->stats();
  std::printf("%s n=%ld exported=%llu dropped=%llu sink=%zu\n", op, n,
              static_cast<unsigned long long>(s.exported),
              static_cast<unsigned long long>(s.dropped_queue_full), sink);
  return 0;
}
