// Decodes OTLP trace requests with the official generated protobuf code shipped in
// @opentelemetry/otlp-transformer, and prints each as normalised JSON (hex ids, int64 as
// strings, enums as numbers) — the independent check of tracehop's OTLP encodings.
//
//   node otlp_decode.js protobuf FILE   one binary ExportTraceServiceRequest
//   node otlp_decode.js json FILE       OTLP/JSON, one request a line
'use strict';

const fs = require('fs');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ID_FIELDS = ['traceId', 'spanId', 'parentSpanId'];

// protobufjs reads and writes bytes fields as base64 in objects; OTLP/JSON has hex ids.
function mapIds(request, convert) {
  for (const rs of request.resourceSpans || [])
    for (const ss of rs.scopeSpans || [])
      for (const span of ss.spans || []) {
        for (const f of ID_FIELDS) if (typeof span[f] === 'string') span[f] = convert(span[f]);
        for (const link of span.links || [])
          for (const f of ID_FIELDS) if (typeof link[f] === 'string') link[f] = convert(link[f]);
      }
  return request;
}
const hexToBase64 = (h) => Buffer.from(h, 'hex').toString('base64');
const base64ToHex = (b) => Buffer.from(b, 'base64').toString('hex');

function print(message) {
  const object = Request.toObject(message, { longs: String, enums: Number, bytes: String });
  console.log(JSON.stringify(mapIds(object, base64ToHex)));
}

const [format, file] = process.argv.slice(2);
if (format === 'protobuf') {
  print(Request.decode(fs.readFileSync(file)));
} else if (format === 'json') {
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    // (fromObject, not verify: verify wants numbers where OTLP/JSON has int64 strings.)
    print(Request.fromObject(mapIds(JSON.parse(line), hexToBase64)));
  }
} else {
  console.error('usage: node otlp_decode.js protobuf|json FILE');
  process.exit(2);
}
