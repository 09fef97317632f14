/**
 * The canary controller as a long-lived service (`switchyard canary --spec FILE`, a Deployment in
 * a cluster). It runs its one spec to an end and then keeps serving what happened. A restarted
 * pod finds its own run in namerd's history (by the spec's hash) and resumes it, or sees that it
 * ended and stays idle; a run someone else opened on the namespace is waited out, not touched.
 * The admin port serves `/healthz` (the process is alive), `/ready` (namerd was reached and the
 * run is going or done) and `/canary.json` (phase, step, the last events).
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../telemetry/logger.js';
import { CanaryRun, sleep } from './controller.js';
import { type CanaryEvent, CanaryExit, type Outcome } from './events.js';
import { CanaryRefusal, newRun, resumePosition } from './lifecycle.js';
import type { NamerdApi } from './namerd-api.js';
import type { CanarySpec } from './spec.js';
import { latestState, OPEN_PHASES, specId } from './state.js';

const KEEP_EVENTS = 100;

export interface ServiceStatus {
  phase: 'starting' | 'waiting' | 'running' | Outcome;
  ready: boolean;
  namespace: string;
  spec: string;
  detail: string;
  events: CanaryEvent[];
}

export interface CanaryService {
  readonly adminUrl: string;
  readonly status: ServiceStatus;
  /** Resolves when the run has ended (or was paused by `stop`). */
  readonly done: Promise<Outcome | null>;
  /** Pauses a running run, then closes the admin port. */
  stop(): Promise<void>;
}

export async function startCanaryService(o: {
  readonly spec: CanarySpec;
  readonly client: NamerdApi;
  readonly admin: { readonly host: string; readonly port: number };
  readonly logger: Logger;
}): Promise<CanaryService> {
  const { spec, client, logger } = o;
  const status: ServiceStatus = {
    phase: 'starting',
    ready: false,
    namespace: spec.namespace,
    spec: specId(spec),
    detail: '',
    events: [],
  };
  const server = await listen(status, o.admin.host, o.admin.port);
  const address = server.address() as { port: number };
  const stopping = new AbortController();
  const emit = (e: CanaryEvent) => {
    status.events.push(e);
    if (status.events.length > KEEP_EVENTS) status.events.shift();
    if (e.event !== 'end') logger.info({ canary: e }, `canary ${e.event}`);
  };

  const loop = async (): Promise<Outcome | null> => {
    let backoff = 1_000;
    while (!stopping.signal.aborted) {
      try {
        const found = latestState(await client.versions(spec.namespace));
        const mine = found !== null && found.since.length === 0 && found.state.id === specId(spec);
        const open = found !== null && found.since.length === 0 && OPEN_PHASES.includes(found.state.phase);
        status.ready = true;
        if (mine && !open) {
          status.phase = found!.state.phase as Outcome;
          status.detail = `this spec's run ended earlier (version ${found!.at.number}); nothing to do`;
          logger.info({ version: found!.at.number, phase: found!.state.phase }, 'canary already ended');
          return status.phase as Outcome;
        }
        if (open && !mine) {
          status.phase = 'waiting';
          status.detail = `another canary run is open on ${spec.namespace} (version ${found!.at.number})`;
          logger.warn({ version: found!.at.number }, status.detail);
          await sleep(Math.min(spec.intervalMs, 30_000), stopping.signal);
          continue;
        }
        const position = mine ? await resumePosition(client, found!, spec) : await newRun(client, spec);
        status.phase = 'running';
        status.detail = mine ? `resumed at step ${found!.state.step}` : 'started';
        const outcome = await new CanaryRun(position, { client, emit, signal: stopping.signal }).run();
        status.phase = outcome;
        status.detail = '';
        logger.info({ outcome }, `canary ${outcome}`);
        return outcome;
      } catch (e) {
        status.detail = (e as Error).message;
        if (e instanceof CanaryRefusal && e.exitCode === CanaryExit.usage) {
          logger.error({ err: e }, 'canary refused');
          return null;
        }
        // namerd away, the namespace not there yet, a run interrupted: the next pass finds out again.
        logger.error({ err: e }, 'canary could not go on; trying again');
        await sleep(backoff, stopping.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
    return null;
  };
  const done = loop();

  return {
    adminUrl: `http://${o.admin.host.includes(':') ? `[${o.admin.host}]` : o.admin.host}:${address.port}`,
    status,
    done,
    async stop() {
      stopping.abort();
      await done;
      await new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
    },
  };
}

function listen(status: ServiceStatus, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'Method Not Allowed\n');
    if (path === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (path === '/ready')
      return status.ready ? send(200, 'text/plain', 'ready\n') : send(503, 'text/plain', 'not ready\n');
    if (path === '/canary.json') return send(200, 'application/json', `${JSON.stringify(status)}\n`);
    send(404, 'text/plain', 'Not Found: /healthz, /ready, /canary.json\n');
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
