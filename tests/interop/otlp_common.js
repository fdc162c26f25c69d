// What the OTLP decoder and receiver share: the official generated definitions, and the id
// conversions between OTLP/JSON (hex) and protobufjs objects (base64 bytes), for trace and
// metrics requests (whose ids are in their exemplars).
'use strict';

const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

const v1 = root.opentelemetry.proto.collector.trace.v1;
const Request = v1.ExportTraceServiceRequest;
const Response = v1.ExportTraceServiceResponse;
const ID_FIELDS = ['traceId', 'spanId', 'parentSpanId'];

// Applies `convert` to every span and link id of a request object.
function mapIds(request, convert) {
  for (const rs of request.resourceSpans || [])
    for (const ss of rs.scopeSpans || [])
      for (const span of ss.spans || [])
        for (const o of [span, ...(span.links || [])])
          for (const f of ID_FIELDS) if (typeof o[f] === 'string') o[f] = convert(o[f]);
  return request;
}
const hexToBase64 = (h) => Buffer.from(h, 'hex').toString('base64');
const base64ToHex = (b) => Buffer.from(b, 'base64').toString('hex');

// A decoded request as JSON-ready data: hex ids, int64 as strings, enums as numbers.
const normalise = (message) => mapIds(Request.toObject(message, { longs: String, enums: Number, bytes: String }), base64ToHex);
// An OTLP/JSON request (hex ids) as a message.
const fromOtlpJson = (object) => Request.fromObject(mapIds(object, hexToBase64));

const mv1 = root.opentelemetry.proto.collector.metrics.v1;
const MetricsRequest = mv1.ExportMetricsServiceRequest;
const MetricsResponse = mv1.ExportMetricsServiceResponse;

// Applies `convert` to the ids of every exemplar of a metrics request object.
function mapExemplarIds(request, convert) {
  for (const rm of request.resourceMetrics || [])
    for (const sm of rm.scopeMetrics || [])
      for (const m of sm.metrics || [])
        for (const data of [m.sum, m.gauge, m.histogram])
          for (const point of (data && data.dataPoints) || [])
            for (const e of point.exemplars || [])
              for (const f of ['traceId', 'spanId']) if (typeof e[f] === 'string') e[f] = convert(e[f]);
  return request;
}
const normaliseMetrics = (message) =>
  mapExemplarIds(MetricsRequest.toObject(message, { longs: String, enums: Number, bytes: String }), base64ToHex);
const metricsFromOtlpJson = (object) => MetricsRequest.fromObject(mapExemplarIds(object, hexToBase64));

module.exports = {
  Request, Response, normalise, fromOtlpJson,
  MetricsRequest, MetricsResponse, normaliseMetrics, metricsFromOtlpJson,
};
