/**
 * `gen` and `gen-growthhack`: proto.GenSvc. Gen streams the request's text back `limit` times, one
 * message per repetition (0: until the caller cancels), following the caller's flow control
 * rather than queueing. gen separates repetitions with a space (`gob gob gob `); gen-growthhack,
 * the new version the walkthrough stages and canaries, answers `gob <3 k8s` per line. Each says
 * which version it is in the `x-version` response header, over gRPC and over HTTP/1.1 alike.
 *
 * `failRate` makes a version bad on purpose, to watch a canary fail: that share of Gen calls ends
 * with UNAVAILABLE and that share of HTTP GETs with 503. The share is exact rather than random
 * (with 0.1, every tenth call fails), so a test or a demo sees the same numbers every time.
 */
import * as grpc from '@grpc/grpc-js';
import { type App, listenGrpc, text } from './listen.js';
import { type GenRequest, type GenResponse, genRequestProblem, gob } from './proto.js';

export type GenVersion = 'gen' | 'gen-growthhack';

export interface GenApp extends App {
  /** Gen calls streaming now. */
  readonly open: number;
  /** Gen calls the caller ended before the stream did (cancel, reset, deadline, closed connection). */
  readonly cancels: number;
  /** Resolves once `count` calls have been cancelled in all. */
  cancelled(count: number): Promise<void>;
}

/** What a plain HTTP/1.1 `GET /` gets: which version answered, in words. */
const SENTENCE: Record<GenVersion, string> = {
  gen: 'Hello from gen.',
  'gen-growthhack': 'HELLO FROM GEN-GROWTHHACK!!! Sign up today!',
};

const piece = (version: GenVersion, text: string) => (version === 'gen' ? `${text} ` : `${text} <3 k8s\n`);

export interface GenOptions {
  /** The share of calls that fail, from 0 (default) to 1. */
  readonly failRate?: number;
}

/** Says, call by call, whether this one fails: the n-th fails when ⌊n·rate⌋ steps up. */
function failEvery(rate: number): () => boolean {
  let n = 0;
  return () => {
    n++;
    return Math.floor(n * rate + 1e-9) > Math.floor((n - 1) * rate + 1e-9);
  };
}

export async function startGen(
  port: number,
  version: GenVersion,
  host = '127.0.0.1',
  options: GenOptions = {},
): Promise<GenApp> {
  const failRate = options.failRate ?? 0;
  if (!(failRate >= 0 && failRate <= 1)) throw new RangeError(`failRate must be from 0 to 1, not ${failRate}`);
  const grpcFails = failEvery(failRate);
  const httpFails = failEvery(failRate);
  let open = 0;
  let cancels = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const cancelled = () => {
    cancels++;
    for (const w of waiters.splice(0)) {
      if (cancels >= w.count) w.resolve();
      else waiters.push(w);
    }
  };

  const Gen = async (call: grpc.ServerWritableStream<GenRequest, GenResponse>) => {
    const problem = genRequestProblem(call.request);
    if (problem) return void call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: problem });
    if (grpcFails())
      return void call.emit('error', { code: grpc.status.UNAVAILABLE, details: `${version} failed on purpose` });
    open++;
    let gone = false;
    const onCancel = () => {
      gone = true;
      cancelled();
    };
    call.once('cancelled', onCancel);
    try {
      const meta = new grpc.Metadata();
      meta.set('x-version', version);
      call.sendMetadata(meta);
      const message = { text: piece(version, call.request.text) };
      for (let i = 0; (call.request.limit === 0 || i < call.request.limit) && !gone; i++) {
        if (!call.write(message)) await drainOrCancel(call);
      }
      if (!gone) call.end();
    } finally {
      open--;
      call.off('cancelled', onCancel);
    }
  };

  const app = await listenGrpc(version, port, host, [[gob().GenSvc.service, { Gen }]], (req, res) => {
    req.resume();
    if (httpFails()) return text(res, 503, `${version} failed on purpose\n`, { 'x-version': version });
    text(res, 200, `${SENTENCE[version]}\n`, { 'x-version': version });
  });
  return {
    ...app,
    get open() {
      return open;
    },
    get cancels() {
      return cancels;
    },
    cancelled: (count) => new Promise((resolve) => (cancels >= count ? resolve() : waiters.push({ count, resolve }))),
  };
}

export function startGenGrowthhack(port: number, host = '127.0.0.1', options: GenOptions = {}): Promise<GenApp> {
  return startGen(port, 'gen-growthhack', host, options);
}

/** Waits until the stream may be written again, or the caller is gone. */
function drainOrCancel(call: grpc.ServerWritableStream<GenRequest, GenResponse>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}
