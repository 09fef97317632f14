#!/usr/bin/env node
// An open-loop HTTP/1.1 load generator for `npm run bench:router`: request i is due at
// start + i / rate whatever happened before (wrk2's model), and its latency counts from that due
// time, so a stall in the subject shows up in the percentiles instead of slowing the generator
// down (coordinated omission). A worker thread is the metronome: it sleeps with Atomics.wait
// (futex, microsecond timeout) and posts each due index to the main thread, whose event loop
// wakes at once for it (a setTimeout schedule would be quantised to whole milliseconds). The
// main thread writes a fixed keep-alive request on a free connection from a pool of raw sockets
// and parses only what it needs of the response (status, Content-Length or chunked framing).
// A request due while every connection is busy waits in a queue, its clock already running.
//
// Usage: node open-loop.mjs --target 127.0.0.1:PORT --rate 1000 --duration 10 [--warmup 2]
//        [--connections 16] [--header 'Name: value']...
// Prints one JSON object: latency percentiles from the due time and from the actual send, the
// generator's own send lateness (send − due), counts and errors. Bounded: gives up on answers
// 3 s after the last request is due.
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    header: { type: 'string', multiple: true, default: [] },
    path: { type: 'string', default: '/' },
  },
});
const [host, portText] = values.target.split(':');
const port = Number(portText);
const rate = Number(values.rate);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const connections = Number(values.connections);
const intervalNs = 1e9 / rate;
const warmupCount = Math.round(warmupS * rate);
const total = warmupCount + Math.round(durationS * rate);

const headerLines = values.header.map((h) => `${h}\r\n`).join('');
const hasHost = values.header.some((h) => /^host\s*:/i.test(h));
const requestBytes = Buffer.from(
  `GET ${values.path} HTTP/1.1\r\n${hasHost ? '' : `Host: ${values.target}\r\n`}${headerLines}\r\n`,
  'latin1',
);

const base = process.hrtime.bigint();
/** Milliseconds since `base` on the monotonic clock every thread shares. */
const nowMs = () => Number(process.hrtime.bigint() - base) / 1e6;

// Results, for the measured (post-warm-up) requests only.
const fromDue = [];
const fromSend = [];
const lateness = [];
let ok = 0;
let non2xx = 0;
let errors = 0;
let answered = 0;

class Conn {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.current = null;
    this.open = false;
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      this.open = true;
      free.push(this);
      pump();
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.open = false;
      const i = free.indexOf(this);
      if (i !== -1) free.splice(i, 1);
      if (this.current) finish(this.current, nowMs(), 0);
      this.current = null;
      if (!stopping) setTimeout(() => replace(this), 10);
    });
  }

  send(req) {
    this.current = req;
    req.sent = nowMs();
    this.socket.write(requestBytes);
  }

  onData(chunk) {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.current !== null) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = this.buf.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      let size;
      if (cl) {
        size = end + 4 + Number(cl[1]);
        if (this.buf.length < size) return;
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const last = this.buf.indexOf('\r\n0\r\n\r\n', end + 2);
        if (last === -1) return;
        size = last + 7;
      } else size = end + 4; // no body (e.g. 204/304)
      this.buf = this.buf.subarray(size);
      const req = this.current;
      this.current = null;
      finish(req, nowMs(), status);
      if (/\r\nconnection:\s*close/i.test(head)) {
        this.socket.destroy();
        return;
      }
      free.push(this);
      pump();
    }
  }
}

const pool = [];
const free = [];
const queue = [];
let stopping = false;

function replace(conn) {
  const i = pool.indexOf(conn);
  if (i !== -1) pool[i] = new Conn();
}

function finish(req, at, status) {
  if (req.done) return;
  req.done = true;
  answered++;
  if (req.index < warmupCount) return;
  if (status === 0) {
    errors++;
    return;
  }
  if (status >= 200 && status < 300) ok++;
  else non2xx++;
  fromDue.push(at - req.due);
  fromSend.push(at - req.sent);
  lateness.push(req.sent - req.due);
}

function pump() {
  while (queue.length > 0 && free.length > 0) {
    const conn = free.pop();
    if (!conn.open) continue;
    conn.send(queue.shift());
  }
}

for (let i = 0; i < connections; i++) pool.push(new Conn());

// Start once the connections are up (or after 1 s), half a second ahead so the worker is running.
await new Promise((resolve) => {
  const t0 = Date.now();
  const check = () => (free.length === connections || Date.now() - t0 > 1000 ? resolve() : setTimeout(check, 5));
  check();
});
const startMs = nowMs() + 200;

const metronome = new Worker(
  `
  const { workerData, parentPort } = require('node:worker_threads');
  const { base, startMs, intervalNs, total } = workerData;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const nowMs = () => Number(process.hrtime.bigint() - base) / 1e6;
  for (let i = 0; i < total; i++) {
    const due = startMs + (i * intervalNs) / 1e6;
    const wait = due - nowMs();
    if (wait > 0) Atomics.wait(cell, 0, 0, wait);
    parentPort.postMessage(i);
  }
  `,
  { eval: true, workerData: { base, startMs, intervalNs, total } },
);
metronome.on('message', (i) => {
  queue.push({ index: i, due: startMs + (i * intervalNs) / 1e6, sent: 0, done: false });
  pump();
});

const lastDue = startMs + ((total - 1) * intervalNs) / 1e6;
await new Promise((resolve) => {
  const check = () => {
    if (answered >= total || nowMs() > lastDue + 3000) resolve();
    else setTimeout(check, 20);
  };
  setTimeout(check, Math.max(0, lastDue - nowMs()));
});
stopping = true;
await metronome.terminate();
const unanswered = total - answered;
for (const c of pool) c.socket.destroy();

function percentiles(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (q) => (s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]);
  const round = (x) => Math.round(x * 1000) / 1000;
  return {
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(s.length === 0 ? Number.NaN : s[s.length - 1]),
  };
}

process.stdout.write(
  `${JSON.stringify({
    rate,
    durationS,
    warmupS,
    connections,
    measured: fromDue.length,
    ok,
    non2xx,
    errors,
    unanswered,
    fromDueMs: percentiles(fromDue),
    fromSendMs: percentiles(fromSend),
    latenessMs: percentiles(lateness),
  })}\n`,
);
process.exit(0);
