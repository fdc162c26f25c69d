// A downstream (or upstream) service built only from the official OpenTelemetry JS SDK: the
// independent implementation tracehop's interop tests check against.
//
//   node service.js server           prints "listening on http://127.0.0.1:PORT"; GET /hop
//                                    answers what it received; /hop?next=URL calls URL first
//   node service.js client URL       GET URL inside a root span, then exits
//
// Environment: SERVICE_NAME, SPANS_FILE (every finished span as a JSON line), PROPAGATOR
// (w3c | b3 | b3multi; W3C baggage always rides along).
'use strict';

const fs = require('fs');
const api = require('@opentelemetry/api');
const { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator } = require('@opentelemetry/core');
const { B3Propagator, B3InjectEncoding } = require('@opentelemetry/propagator-b3');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

const spansFile = process.env.SPANS_FILE;

// Writes each span as it ends: ids, parent, name, kind, attributes.
class FileExporter {
  export(spans, done) {
    for (const s of spans) {
      const line = {
        trace_id: s.spanContext().traceId,
        span_id: s.spanContext().spanId,
        parent_span_id: s.parentSpanContext ? s.parentSpanContext.spanId : '',
        name: s.name,
        kind: api.SpanKind[s.kind],
        service: s.resource.attributes['service.name'],
        attributes: s.attributes,
      };
      if (spansFile) fs.appendFileSync(spansFile, JSON.stringify(line) + '\n');
    }
    done({ code: 0 });
  }
  shutdown() { return Promise.resolve(); }
  forceFlush() { return Promise.resolve(); }
}

function propagator(name) {
  const trace = {
    w3c: () => new W3CTraceContextPropagator(),
    b3: () => new B3Propagator(),
    b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
  }[name || 'w3c'];
  if (!trace) throw new Error(`PROPAGATOR must be w3c, b3 or b3multi, not ${name}`);
  return new CompositePropagator({ propagators: [trace(), new W3CBaggagePropagator()] });
}

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': process.env.SERVICE_NAME || 'node-service' }),
  spanProcessors: [new SimpleSpanProcessor(new FileExporter())],
});
provider.register({ propagator: propagator(process.env.PROPAGATOR) });
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
const http = require('http'); // after the instrumentation is registered, so it is patched

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

function server() {
  const srv = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname !== '/hop') {
      res.writeHead(404).end();
      return;
    }
    const baggage = api.propagation.getBaggage(api.context.active());
    const answer = {
      headers: req.headers,
      baggage: baggage ? Object.fromEntries(baggage.getAllEntries().map(([k, v]) => [k, v.value])) : {},
    };
    const next = url.searchParams.get('next');
    if (next) {
      try {
        answer.next = await get(next);
      } catch (e) {
        answer.next = { error: String(e) };
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  srv.listen(0, '127.0.0.1', () => {
    console.log(`listening on http://127.0.0.1:${srv.address().port}`);
  });
  const stop = () => srv.close(() => provider.shutdown().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function client(url) {
  const tracer = api.trace.getTracer('tracehop-interop');
  const ctx = api.propagation.setBaggage(api.context.active(),
    api.propagation.createBaggage({ tenant: { value: 'acme' } }));
  await api.context.with(ctx, () => tracer.startActiveSpan('node-root', async (span) => {
    try {
      const res = await get(url);
      console.log(JSON.stringify({ status: res.status, trace_id: span.spanContext().traceId }));
    } finally {
      span.end();
    }
  }));
  await provider.shutdown();
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'server') server();
else if (mode === 'client' && arg) client(arg).catch((e) => { console.error(e); process.exit(1); });
else {
  console.error('usage: node service.js server | client URL');
  process.exit(2);
}
