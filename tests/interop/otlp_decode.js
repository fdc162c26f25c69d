// Decodes OTLP trace requests with the official generated protobuf code shipped in
// @opentelemetry/otlp-transformer, and prints each as normalised JSON (hex ids, int64 as
// strings, enums as numbers) — the independent check of tracehop's OTLP encodings.
//
//   node otlp_decode.js protobuf FILE   one binary ExportTraceServiceRequest
//   node otlp_decode.js json FILE       OTLP/JSON, one request a line
'use strict';

const fs = require('fs');
const { Request, normalise, fromOtlpJson } = require('./otlp_common');

const [format, file] = process.argv.slice(2);
if (format === 'protobuf') {
  console.log(JSON.stringify(normalise(Request.decode(fs.readFileSync(file)))));
} else if (format === 'json') {
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    console.log(JSON.stringify(normalise(fromOtlpJson(JSON.parse(line)))));
  }
} else {
  console.error('usage: node otlp_decode.js protobuf|json FILE');
  process.exit(2);
}
