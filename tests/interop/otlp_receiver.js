// An OTLP trace and metrics receiver built from the official OpenTelemetry JS packages:
// @grpc/grpc-js for OTLP/gRPC (TraceService, MetricsService) and the generated protobuf
// definitions of @opentelemetry/otlp-transformer for decoding; OTLP/HTTP on /v1/traces and
// /v1/metrics with protobuf or JSON bodies (gzip too). Prints
//   grpc http://127.0.0.1:PORT
//   http http://127.0.0.1:PORT/v1/traces
// then one JSON line per request it accepted: {transport, contentType, encoding, headers, request}
// with the request decoded and normalised (hex ids, int64 as strings, enums as numbers), and
// `signal: "metrics"` for a metrics request.
//
// Environment: HOLD=N holds each request until N are waiting at once, then answers them together
// (or after 3 s), and adds `held`, how many were answered together, to their lines: a test of
// concurrent requests. COUNT=1 prints {"spans": N, "requests": R} on SIGTERM (spans received
// in the requests it accepted; also with QUIET). FAIL_FIRST=N answers the first N requests with FAIL_STATUS (HTTP, default 503)
// or FAIL_GRPC_CODE (gRPC, default UNAVAILABLE; RETRY_DELAY_MS adds a RetryInfo); RETRY_AFTER=S adds Retry-After to those HTTP answers; STALL_MS=M
// holds every request that long first; REJECT=N answers a partial success with N rejected;
// GRPC_PORT and HTTP_PORT choose the ports (default: any free ones); TLS_CERT and TLS_KEY (PEM
// files) make both TLS, the endpoints printed as https://.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const zlib = require('zlib');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');
const { Request, Response, normalise, fromOtlpJson, MetricsRequest, MetricsResponse, normaliseMetrics,
  metricsFromOtlpJson } = require('./otlp_common');

let failLeft = Number(process.env.FAIL_FIRST || 0);
const failStatus = Number(process.env.FAIL_STATUS || 503);
const stallMs = Number(process.env.STALL_MS || 0);
const reject = Number(process.env.REJECT || 0);

let spansReceived = 0;
let requestsReceived = 0;

// QUIET=1: decode every request, print nothing (for load runs).
function record(transport, contentType, encoding, headers, message, held, signal) {
  requestsReceived++;
  for (const rs of message.resourceSpans || []) for (const ss of rs.scopeSpans || []) spansReceived += (ss.spans || []).length;
  if (process.env.QUIET) return;
  const request = signal === 'metrics' ? normaliseMetrics(message) : normalise(message);
  const line = { transport, contentType, encoding, headers, request };
  if (signal) line.signal = signal;
  if (held !== undefined) line.held = held;
  console.log(JSON.stringify(line));
}

// HOLD=N: each request waits until N are waiting (or 3 s); resolves to how many went together.
const holdFor = Number(process.env.HOLD || 0);
let holding = [];
function hold() {
  if (!holdFor) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const entry = { resolve, timer: null };
    holding.push(entry);
    if (holding.length >= holdFor) {
      const all = holding;
      holding = [];
      for (const e of all) { clearTimeout(e.timer); e.resolve(all.length); }
      return;
    }
    entry.timer = setTimeout(() => {
      holding = holding.filter((e) => e !== entry);
      resolve(1);
    }, 3000);
  });
}
const partial = (signal) => {
  if (!reject) return {};
  return signal === 'metrics' ? { partialSuccess: { rejectedDataPoints: reject, errorMessage: 'some points were refused' } }
                              : { partialSuccess: { rejectedSpans: reject, errorMessage: 'some spans were refused' } };
};
const stall = () => new Promise((resolve) => setTimeout(resolve, stallMs));

// The scripted gRPC failure: FAIL_GRPC_CODE (a grpc status name, default UNAVAILABLE), with a
// google.rpc.RetryInfo of RETRY_DELAY_MS in grpc-status-details-bin if that is set.
const rpc = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            RetryInfo: { fields: { retryDelay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
  },
});
function grpcFailure() {
  const code = grpc.status[process.env.FAIL_GRPC_CODE || 'UNAVAILABLE'];
  const failure = { code, details: 'scripted failure' };
  if (process.env.RETRY_DELAY_MS) {
    const ms = Number(process.env.RETRY_DELAY_MS);
    const RetryInfo = rpc.lookupType('google.rpc.RetryInfo');
    const Status = rpc.lookupType('google.rpc.Status');
    const info = RetryInfo.encode({ retryDelay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } }).finish();
    const status = Status.encode({ code, message: 'scripted failure',
      details: [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: info }] }).finish();
    failure.metadata = new grpc.Metadata();
    failure.metadata.set('grpc-status-details-bin', Buffer.from(status));
  }
  return failure;
}

// OTLP/gRPC: the raw bytes in, decoded here; one service a signal.
const grpcServer = new grpc.Server();
for (const [signal, path, Req, Res] of [
  [undefined, '/opentelemetry.proto.collector.trace.v1.TraceService/Export', Request, Response],
  ['metrics', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', MetricsRequest, MetricsResponse],
]) {
  const service = {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (b) => b,
      requestDeserialize: (b) => b,
      responseSerialize: (o) => Buffer.from(Res.encode(Res.fromObject(o)).finish()),
      responseDeserialize: (b) => Res.decode(b),
    },
  };
  grpcServer.addService(service, {
    Export: async (call, done) => {
      const held = await hold();
      await stall();
      if (failLeft > 0) {
        failLeft--;
        done(grpcFailure());
        return;
      }
      const headers = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
      record('grpc', 'application/grpc', call.metadata.get('grpc-encoding')[0] || '', headers, Req.decode(call.request), held, signal);
      done(null, partial(signal));
    },
  });
}

// OTLP/HTTP.
const tls = process.env.TLS_CERT ? { cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY) } : null;
const handler = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const held = await hold();
    await stall();
    const signal = req.url === '/v1/metrics' ? 'metrics' : undefined;
    if (req.method !== 'POST' || (req.url !== '/v1/traces' && !signal)) {
      res.writeHead(404).end();
      return;
    }
    const [Req, Res, fromJson] = signal ? [MetricsRequest, MetricsResponse, metricsFromOtlpJson] : [Request, Response, fromOtlpJson];
    if (failLeft > 0) {
      failLeft--;
      const headers = process.env.RETRY_AFTER ? { 'retry-after': process.env.RETRY_AFTER } : {};
      res.writeHead(failStatus, headers).end('scripted failure');
      return;
    }
    let body = Buffer.concat(chunks);
    const encoding = req.headers['content-encoding'] || '';
    if (encoding === 'gzip') body = zlib.gunzipSync(body);
    const contentType = req.headers['content-type'] || '';
    try {
      if (contentType === 'application/json') {
        record('http', contentType, encoding, req.headers, fromJson(JSON.parse(body.toString('utf8'))), held, signal);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(partial(signal)));
      } else if (contentType === 'application/x-protobuf') {
        record('http', contentType, encoding, req.headers, Req.decode(body), held, signal);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' })
          .end(Buffer.from(Res.encode(Res.fromObject(partial(signal))).finish()));
      } else {
        res.writeHead(415).end(`unsupported content type ${contentType}`);
      }
    } catch (e) {
      res.writeHead(400).end(`undecodable: ${e.message}`);
    }
  });
};
const httpServer = tls ? https.createServer(tls, handler) : http.createServer(handler);

const credentials = tls
  ? grpc.ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.cert }])
  : grpc.ServerCredentials.createInsecure();
const scheme = tls ? 'https' : 'http';
grpcServer.bindAsync(`127.0.0.1:${process.env.GRPC_PORT || 0}`, credentials, (err, port) => {
  if (err) throw err;
  console.log(`grpc ${scheme}://127.0.0.1:${port}`);
  httpServer.listen(Number(process.env.HTTP_PORT || 0), '127.0.0.1', () => console.log(`http ${scheme}://127.0.0.1:${httpServer.address().port}/v1/traces`));
});
const stop = () => {
  if (process.env.COUNT) console.log(JSON.stringify({ spans: spansReceived, requests: requestsReceived }));
  httpServer.close();
  grpcServer.forceShutdown();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
