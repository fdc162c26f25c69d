// The README's first example: the tracing core, with a propagation hop through a header map.
// Run with OTEL_TRACES_EXPORTER=console to see the spans. (configure_from_env() sets up the
// metrics SDK too: it is in tracehop::metrics, which brings tracehop::trace.)
#include <tracehop/configure.hpp>
#include <tracehop/trace.hpp>

namespace th = tracehop;
namespace tt = tracehop::trace;

int main() {
  th::configure_from_env();  // providers, processor, exporters and propagators from OTEL_* variables

  auto tracer = tt::get_tracer("checkout");  // may be called before configure: it binds late
  {
    auto span = tracer->start_as_current_span("check-inventory");
    span->set_attribute("sku", "SKU-9931");

    // Outgoing call: write the current context into the request's headers.
    tt::MapCarrier headers;
    tt::inject(headers);  // traceparent: 00-<trace id>-<span id>-01, baggage

    // Incoming call: continue the caller's trace.
    auto parent = tt::extract(headers);
    auto server = tracer->start_span("GET /items/{sku}",
                                     {.kind = tt::SpanKind::Server, .parent = parent});
    server.end();
  }  // the scope restores the previous context and ends the span
  tt::shutdown();  // flushes every queued span
}
