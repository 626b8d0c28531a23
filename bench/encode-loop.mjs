/**
 * Encoding alone, hot: 256 sampled requests of the common shape (a server span and one attempt each), written again
 * and again into one reused batch buffer, as compact traces (`OtlpEncoding.writeRequest`) and as the RecordedSpans
 * `toRecordedSpans` makes of them (`writeSpan`), alternating; the minimum per request of each over the rounds. What
 * the gateway adds to this is cold caches (README, "Benchmarks"). Plain JavaScript against the built `dist/`: through
 * tsx every call into another module goes through an export getter, which distorts a loop this tight.
 *
 * Run: npm run build && taskset -c 0 node bench/encode-loop.mjs [rounds=20]
 * Measures, never asserts.
 */
import { BodyBuffer } from '../dist/observability/export/body-buffer.js';
import { otlpProto } from '../dist/observability/export/otlp-proto.js';
import { CompactAttempt, CompactTrace, toRecordedSpans } from '../dist/observability/spans/compact.js';
import { drawIdBlock, idPool } from '../dist/observability/spans/span.js';

const ROUNDS = Number(process.argv[2] ?? 20);
const REPEATS = 100;
const owner = { generalize() { throw new Error('not here'); } };

/** The bench's request: the fields the gateway records for `GET /api/items?id=7` from one of 64 client ports. */
function request(i) {
  const at = drawIdBlock();
  const ids = idPool();
  const port = 50000 + (i & 63);
  const trace = new CompactTrace(ids, at, at + 16, -1, '', false, 'GET',
    ['web', 'GET', '1.1', '/api/items', 'id=7', 'http', 'bench.local', '127.0.0.1', port, '127.0.0.1', port, 'autocannon', undefined, 200], '/api/items', 'web');
  const attempt = new CompactAttempt(owner, ids, at, at + 24, at + 16, '',
    ['GET', '1.1', 'http://127.0.0.1:9000/api/items?id=7', 'http', '127.0.0.1', 9000, '127.0.0.1', 9000, 'autocannon', undefined, 200]);
  attempt.endTime = attempt.startTime + 0.5;
  trace.attempts.push(attempt);
  trace.endTime = trace.startTime + 1;
  return trace;
}

const traces = Array.from({ length: 256 }, (_, i) => request(i));
const sink = { onEnd() {}, attributeCountLimit: 128 };
const spans = traces.map((t) => toRecordedSpans(t, sink));
const body = new BodyBuffer(256 * 1024);

function timed(write) {
  const t0 = performance.now();
  for (let k = 0; k < REPEATS; k++) { body.reset(); write(); }
  return ((performance.now() - t0) * 1000) / (REPEATS * traces.length);
}

let compact = Infinity;
let general = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  compact = Math.min(compact, timed(() => { for (const t of traces) otlpProto.writeRequest(body, t, false); }));
  general = Math.min(general, timed(() => { for (const s of spans) for (const span of s) otlpProto.writeSpan(body, span, false); }));
}
console.log(`encoding a request's two spans, hot (minimum of ${ROUNDS} rounds): compact trace ${compact.toFixed(3)} µs, RecordedSpans ${general.toFixed(3)} µs`);
