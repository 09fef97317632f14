// A minimal h2c gRPC client on node:http2 for the bench's smoke checks and the streaming
// measurement: enough of the protocol to call a method and read framed replies and trailers.
import { connect } from 'node:http2';
import { counter, deframer, frame } from './grpc-frame.mjs';

export const BODY = 'hello, world\n';

/** One h2c session to 127.0.0.1:port; `timeoutMs` bounds every call made on it. */
export function session(port, timeoutMs = 5000) {
  const s = connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  const call = (headers, body, onData) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        req.close();
        reject(new Error(`no complete answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const req = s.request(headers);
      let head = null;
      let trailers = {};
      req.on('response', (h) => (head = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', onData);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.on('end', () => {
        clearTimeout(timer);
        resolve({ head, trailers });
      });
      req.end(body);
    });
  const grpcHeaders = (path) => ({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  return {
    async get(path) {
      let body = '';
      const { head } = await call({ ':method': 'GET', ':path': path }, undefined, (c) => (body += c));
      return { status: head?.[':status'], body };
    },
    async unary() {
      const d = deframer();
      const messages = [];
      const r = await call(grpcHeaders('/bench.Echo/Unary'), frame(Buffer.from('ping')), (c) =>
        messages.push(...d.push(c)),
      );
      return { ...grpcStatus(r), messages: messages.map(String) };
    },
    /** Server streaming: asks for `n` messages and counts them as they come. */
    async stream(n) {
      const c = counter();
      const count = Buffer.alloc(4);
      count.writeUInt32BE(n);
      const t0 = process.hrtime.bigint();
      const r = await call(grpcHeaders('/bench.Echo/Stream'), frame(count), (chunk) => c.push(chunk));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      return { ...grpcStatus(r), messages: c.count, ms };
    },
    close: () => new Promise((r) => s.close(r)),
    destroy: () => s.destroy(),
  };
}

function grpcStatus({ head, trailers }) {
  const status = trailers['grpc-status'] ?? head?.['grpc-status'];
  return {
    status: head?.[':status'],
    grpcStatus: status === undefined ? undefined : Number(status),
    grpcMessage: trailers['grpc-message'] ?? head?.['grpc-message'],
  };
}

/** Throws, saying what went wrong, unless plain GETs, unary and streaming calls all work on `port`. */
export async function probe(port, timeoutMs = 5000) {
  const s = session(port, timeoutMs);
  let step = 'GET /hello';
  try {
    const g = await s.get('/hello');
    if (g.status !== 200 || g.body !== BODY)
      throw new Error(`GET /hello answered ${g.status} ${JSON.stringify(g.body.slice(0, 200))}`);
    step = 'unary call';
    const u = await s.unary();
    if (u.grpcStatus !== 0 || u.messages.length !== 1)
      throw new Error(
        `unary call: HTTP ${u.status}, grpc-status ${u.grpcStatus} ${u.grpcMessage ?? ''}, ${u.messages.length} messages`,
      );
    step = 'streaming call';
    const st = await s.stream(100);
    if (st.grpcStatus !== 0 || st.messages !== 100)
      throw new Error(`streaming call: grpc-status ${st.grpcStatus}, ${st.messages} of 100 messages`);
  } catch (e) {
    throw new Error(`h2c ${step} to 127.0.0.1:${port}: ${e.code ? `${e.code}: ` : ''}${e.message}`);
  } finally {
    s.destroy();
  }
}
