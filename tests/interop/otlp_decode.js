// Decodes OTLP trace and metrics requests with the official generated protobuf code shipped in
// @opentelemetry/otlp-transformer, and prints each as normalised JSON (hex ids, int64 as
// strings, enums as numbers) — the independent check of tracehop's OTLP encodings.
//
//   node otlp_decode.js protobuf FILE           one binary ExportTraceServiceRequest
//   node otlp_decode.js json FILE               OTLP/JSON, one request a line
//   node otlp_decode.js metrics-protobuf FILE   one binary ExportMetricsServiceRequest
//   node otlp_decode.js metrics-json FILE       OTLP/JSON metrics, one request a line
'use strict';

const fs = require('fs');
const otlp = require('./otlp_common');

const [format, file] = process.argv.slice(2);
const signals = {
  '': [otlp.Request, otlp.normalise, otlp.fromOtlpJson],
  'metrics-': [otlp.MetricsRequest, otlp.normaliseMetrics, otlp.metricsFromOtlpJson],
};
const prefix = format && format.startsWith('metrics-') ? 'metrics-' : '';
const [Request, normalise, fromOtlpJson] = signals[prefix];
const encoding = format ? format.slice(prefix.length) : '';
if (encoding === 'protobuf') {
  console.log(JSON.stringify(normalise(Request.decode(fs.readFileSync(file)))));
} else if (encoding === 'json') {
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    console.log(JSON.stringify(normalise(fromOtlpJson(JSON.parse(line)))));
  }
} else {
  console.error('usage: node otlp_decode.js [metrics-]protobuf|[metrics-]json FILE');
  process.exit(2);
}
