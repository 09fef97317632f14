/**
 * Routers for tests: in-process (startRouter from a YAML config, silent logs, ports 0) or as a
 * `switchyard router` child process; named upstreams that say who answered (`x-served-by`) and
 * echo what they received; and a keep-alive client. Everything binds to 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { routerConfig } from '../../src/config/router-config.js';
import { type RunningRouter, startRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { repoRoot } from './repo.js';

export interface NamedUpstream {
  readonly name: string;
  readonly port: number;
  /** Headers of every request this upstream received, in order. */
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** The named upstreams' answer, for HTTP/1.1 and h2 servers alike: record the headers, answer `<name>\n`. */
export function answerWithName(name: string, seen: IncomingHttpHeaders[]) {
  return (
    req: { headers: IncomingHttpHeaders; resume(): void; on(e: 'end', f: () => void): void },
    res: { setHeader(n: string, v: string): void; end(body: string): void },
  ): void => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.setHeader('x-served-by', name);
      res.end(`${name}\n`);
    });
  };
}

export async function startNamedUpstream(name: string, handle?: RequestListener): Promise<NamedUpstream> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer(handle ?? answerWithName(name, seen));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A router in this process; `yaml` is a router config without listen/admin (both get port 0). */
export async function startTestRouter(yaml: string): Promise<RunningRouter> {
  const config = routerConfig(`${yaml}\nlisten: 127.0.0.1:0\nadmin: 127.0.0.1:0\n`);
  return startRouter(config, createLogger({ level: 'silent' }));
}

export const client = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(url, { headers, dispatcher: client });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** Runs `count` requests with `concurrency` in flight; bounded by count. */
export async function load(count: number, concurrency: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await send(next++);
    }),
  );
}

export interface RouterProcess {
  readonly url: string;
  readonly adminUrl: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly log: () => string;
}

/** `switchyard router` as a child process (needs the build); resolves on its "router listening" line. */
export function startRouterProcess(args: string[]): Promise<RouterProcess> {
  const bin = join(repoRoot, 'bin', 'switchyard.js');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, 'router', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log-format', 'json', ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`router did not start: ${buffer}`)), 15_000);
    child.stderr?.on('data', (chunk) => {
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.includes('"router listening"'));
      if (line && timer) {
        clearTimeout(timer);
        const { url, adminUrl } = JSON.parse(line);
        resolve({ url, adminUrl, child, exited, log: () => buffer });
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`router exited: ${buffer}`));
    });
  });
}

export type DtabRouterProcess = RouterProcess & { stop(): Promise<void> };

/** A router process whose base dtab is `dtab`, in a temp file; `stop` kills it and removes the file. */
export async function startRouterOnDtab(dtab: string): Promise<DtabRouterProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'router-dtab-'));
  writeFileSync(join(dir, 'dtab'), dtab);
  const router = await startRouterProcess(['--dtab', join(dir, 'dtab')]);
  return {
    ...router,
    async stop() {
      router.child.kill('SIGKILL');
      await router.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
