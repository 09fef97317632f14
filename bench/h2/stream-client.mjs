#!/usr/bin/env node
// Server-streaming throughput for `npm run bench:h2`: one call asking for N messages on a fresh
// h2c session, counted as they arrive. Usage: stream-client.mjs PORT N TIMEOUT_MS; prints JSON
// { messages, ms, perSec, grpcStatus } and exits 1 when the call fails or falls short.
import { session } from './grpc-client.mjs';

const [port, n, timeoutMs] = process.argv.slice(2).map(Number);
const s = session(port, timeoutMs);
try {
  const r = await s.stream(n);
  console.log(
    JSON.stringify({ messages: r.messages, ms: r.ms, perSec: (r.messages * 1000) / r.ms, grpcStatus: r.grpcStatus }),
  );
  process.exitCode = r.grpcStatus === 0 && r.messages === n ? 0 : 1;
} catch (e) {
  console.log(JSON.stringify({ error: String(e.message ?? e) }));
  process.exitCode = 1;
} finally {
  s.destroy();
}
