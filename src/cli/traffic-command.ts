/**
 * `switchyard traffic`: runs one target from this process (HTTP/1.1, h2 or gRPC) — fixed rate for a duration, or a
 * number of requests as fast as C connections allow — with a progress line per interval on
 * standard error and a summary on standard output (`--json` prints the full results instead,
 * for scripts). Flags become a target and go through the same validation as the /client API, so
 * a bad one is a usage error (exit 64) naming the field. hey's and slow_cooker's flags work as
 * they do there. Ctrl-C and SIGTERM stop early and still report; past `--max-error-rate` the
 * exit status is 1, so a script or a Job sees a failed run.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { SwitchyardError } from '../errors.js';
import { parseDuration } from '../traffic/duration.js';
import { MAX_PROTO_BYTES } from '../traffic/grpc-protos.js';
import type { TargetSpec } from '../traffic/target-spec.js';
import { TrafficClient } from '../traffic/traffic-client.js';
import type { Options } from './args.js';
import { type CliIo, describeIoError, resolveFile } from './io.js';
import { type ProgressState, progressLine, summaryTables } from './traffic-report.js';
import { UsageText } from './usage-text.js';

export const trafficHelp = new UsageText(
  'switchyard traffic',
  `switchyard traffic: send HTTP or gRPC traffic to a URL and report counts, latency percentiles and splits.

Usage:
  switchyard traffic [--url] URL [--qps N --duration 30s | --requests N] [flags]
  switchyard traffic [--url] URL --grpc SERVICE/METHOD [--data JSON] [--proto FILE] [flags]
  switchyard traffic -n 2000 -c 50 -q 10 URL          (hey's flags; slow_cooker's -qps too)

Flags:
      --url URL             where to send requests (or the one argument)
      --qps N               fixed rate for the whole run (open loop: latency counts from the
                            intended send time); needs --duration or --requests
  -q, --qps-per-connection N
                            hey's -q and slow_cooker's -qps: N per connection, so the run's rate
                            is N × --concurrency
  -z, --duration DUR        how long to run, e.g. 30s or 2m
  -n, --requests N          how many requests in all (default 200 when no duration is given)
  -c, --concurrency C       connections / requests in flight (default 10)
  -m, --method METHOD       HTTP method (default GET)
  -H, --header 'K: V'       request header (repeatable), e.g. -H 'l5d-dtab: /svc/web => /svc/web-v2'
  -d, --body TEXT           request body
      --protocol P          http/1.1 (default), h2 (cleartext, prior knowledge) or grpc
      --grpc SVC/METHOD     call this gRPC method, e.g. proto.GenSvc/Gen (implies --protocol grpc)
      --data JSON           the gRPC request message as JSON, e.g. '{"text":"gob","limit":1}'
      --data-base64 B64     the request as raw bytes (for gRPC: one message's bytes)
      --proto FILE          a .proto file defining the service (the gob services are built in)
  -t, --timeout DUR         per-request timeout (default 10s; a bare number is seconds, as hey's -t)
      --track-header NAME   count responses by this header's (or trailer's) values (repeatable),
                            e.g. x-version
      --interval DUR        progress and per-interval stats period (default 1s)
      --json                print the full results as JSON instead of the summary
      --max-error-rate R    exit 1 when more than this share of requests failed or got 5xx / a
                            non-OK grpc-status (0 to 1; default 0: any failure)
      --quiet               no progress lines
  -h, --help                help for traffic

Exit status: 0, 1 past --max-error-rate, 64 for a usage error. Ctrl-C and SIGTERM stop the run
early; the summary is printed all the same.

Examples:
  switchyard traffic --url http://127.0.0.1:4140/ --qps 100 --duration 30s --track-header x-version
  switchyard traffic -n 2000 -c 20 -H 'Host: web' http://127.0.0.1:4140/
  switchyard traffic --url http://127.0.0.1:8080/ --requests 10000 -c 50 --json
  switchyard traffic --url http://127.0.0.1:4140 --grpc proto.GenSvc/Gen --data '{"text":"gob","limit":1}' \\
    --requests 2000 --track-header x-version
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  url: { type: 'string' },
  qps: { type: 'string' },
  'qps-per-connection': { type: 'string', short: 'q' },
  duration: { type: 'string', short: 'z' },
  requests: { type: 'string', short: 'n' },
  concurrency: { type: 'string', short: 'c' },
  method: { type: 'string', short: 'm' },
  header: { type: 'string', short: 'H', multiple: true },
  body: { type: 'string', short: 'd' },
  protocol: { type: 'string' },
  grpc: { type: 'string' },
  data: { type: 'string' },
  'data-base64': { type: 'string' },
  proto: { type: 'string' },
  timeout: { type: 'string', short: 't' },
  'track-header': { type: 'string', multiple: true },
  interval: { type: 'string' },
  json: { type: 'boolean' },
  'max-error-rate': { type: 'string' },
  quiet: { type: 'boolean' },
};

/**
 * slow_cooker spells its flags with one dash (`-qps 10`), which a POSIX parser reads as `-q -p
 * -s`: those words are rewritten before parsing. Only whole words are, so `-q 10` stays hey's.
 */
const SINGLE_DASH_WORDS: Readonly<Record<string, string>> = {
  '-qps': '--qps-per-connection',
  '-concurrency': '--concurrency',
  '-totalRequests': '--requests',
};

/** hey's `-t 20`: a bare number of seconds. */
function timeoutText(text: string | undefined): string {
  if (text === undefined) return '10s';
  if (!/^\d+(\.\d+)?$/.test(text)) return text;
  if (Number(text) === 0) throw trafficHelp.error('-t 0 (no timeout) is not allowed: every request here is bounded');
  return `${text}s`;
}

/** Numbers stay numbers only when they look like numbers; otherwise the raw text reaches the validator. */
const num = (text: string | undefined) => (text !== undefined && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text);

function headers(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw trafficHelp.error(`-H wants 'name: value', got '${h}'`);
    out[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  return out;
}

/** `proto.GenSvc/Gen` (a leading slash, as in the gRPC path, is fine) → service and method. */
function grpcCall(text: string): { service: string; method: string } {
  const slash = text.lastIndexOf('/');
  const service = text.slice(0, slash).replace(/^\//, '');
  const method = text.slice(slash + 1);
  if (slash < 0 || service === '' || method === '') {
    throw trafficHelp.error(`--grpc wants SERVICE/METHOD such as proto.GenSvc/Gen, got '${text}'`);
  }
  return { service, method };
}

/** --proto FILE: read whole only when small enough to be accepted. */
async function protoFile(io: CliIo, file: string): Promise<string> {
  try {
    const path = resolveFile(io, file);
    const { size } = await stat(path);
    if (size > MAX_PROTO_BYTES) throw trafficHelp.error(`--proto ${file}: ${size} bytes, above ${MAX_PROTO_BYTES}`);
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof SwitchyardError) throw e;
    throw trafficHelp.error(`--proto ${file}: ${describeIoError(e)}`);
  }
}

/** The summary's first line: the URL, and for h2 and gRPC what is sent there. */
function describeTarget(t: TargetSpec): string {
  if (t.protocol === 'grpc') return `${t.url} grpc ${t.service}/${t.method}`;
  return t.protocol === 'h2' ? `${t.url} h2` : t.url;
}

export async function trafficCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = trafficHelp.parse(
    args.map((a) => SINGLE_DASH_WORDS[a] ?? a),
    options,
    true,
  );
  if (values.help === true) return trafficHelp.print(io);
  const str = (k: string) => values[k] as string | undefined;
  if (positionals.length > 1)
    throw trafficHelp.error(`one URL only, got ${positionals.length}: ${positionals.join(' ')}`);
  if (positionals.length === 1 && str('url') !== undefined)
    throw trafficHelp.error('give the URL once: --url or as the argument');
  const url = str('url') ?? positionals[0];
  if (url === undefined) throw trafficHelp.error('a URL is required (--url URL, or as the argument)');
  const maxErrorRate = Number(str('max-error-rate') ?? '0');
  if (!(maxErrorRate >= 0 && maxErrorRate <= 1) || str('max-error-rate') === '')
    throw trafficHelp.error(`--max-error-rate must be a number from 0 to 1, got '${str('max-error-rate')}'`);
  if (str('qps') !== undefined && str('qps-per-connection') !== undefined)
    throw trafficHelp.error('give --qps (the whole run) or -q (per connection), not both');
  const intervalMs = parseDuration(str('interval') ?? '1s');
  if (intervalMs === null || intervalMs < 100)
    throw trafficHelp.error('--interval must be a duration of 100ms or more');
  const bounded = str('duration') !== undefined || str('requests') !== undefined;
  if (str('body') !== undefined && str('data') !== undefined)
    throw trafficHelp.error('give --body or --data, not both');
  const call = str('grpc') === undefined ? null : grpcCall(str('grpc')!);
  if (call !== null && str('method') !== undefined) throw trafficHelp.error('--grpc names the method; drop --method');
  const protocol = str('protocol') ?? (call === null ? undefined : 'grpc');
  const body = str('body') ?? str('data');
  const concurrency = num(str('concurrency') ?? '10');
  const perConnection = num(str('qps-per-connection'));
  const qps =
    perConnection === undefined
      ? num(str('qps'))
      : typeof perConnection === 'number' && typeof concurrency === 'number'
        ? perConnection * concurrency
        : perConnection;
  const spec = {
    name: 'traffic',
    url,
    ...(protocol === undefined ? {} : { protocol }),
    ...(call === null ? { method: str('method') ?? 'GET' } : call),
    headers: headers((values.header as string[] | undefined) ?? []),
    ...(body === undefined ? {} : { body }),
    ...(str('data-base64') === undefined ? {} : { bodyBase64: str('data-base64') }),
    replicas: concurrency,
    ...(qps === undefined ? {} : { qps }),
    ...(str('duration') === undefined ? {} : { duration: str('duration') }),
    ...(bounded || qps !== undefined ? {} : { totalRequests: 200 }),
    ...(str('requests') === undefined ? {} : { totalRequests: num(str('requests')) }),
    requestTimeout: timeoutText(str('timeout')),
    trackHeaders: (values['track-header'] as string[] | undefined) ?? [],
  };
  const client = new TrafficClient({ intervalMs });
  try {
    const proto = str('proto');
    if (proto !== undefined) {
      // Named after the file when that makes a valid name (`gob` is the built-in one's).
      const base = basename(proto).replace(/\.proto$/, '');
      const name = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/.test(base) && base !== 'gob' ? base : 'proto';
      client.protos.add(name, await protoFile(io, proto));
    }
    client.addTarget(spec);
  } catch (e) {
    if (e instanceof SwitchyardError && e.code !== 'SY_ERR_USAGE') {
      // Name the flags the user typed, not the target fields they became.
      const flags = e.message
        .replace(/\btotalRequests\b/g, '--requests')
        .replace(/\breplicas\b/g, '--concurrency')
        .replace(/\brequestTimeout\b/g, '--timeout')
        .replace(/\bbodyBase64\b/g, '--data-base64');
      throw trafficHelp.error(flags);
    }
    throw e;
  }
  const target = client.target('traffic');
  const started = performance.now();
  client.invoke(['traffic']);
  const onAbort = () => void client.stop('all');
  io.signal?.addEventListener('abort', onAbort, { once: true });
  // Without a signal from the caller, Ctrl-C, `timeout` and a Job's deadline (SIGTERM) still end
  // the run with a report instead of killing it.
  if (io.signal === undefined) {
    process.once('SIGINT', onAbort);
    process.once('SIGTERM', onAbort);
  }
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const showProgress = values.quiet !== true && (tty || values.json !== true);
  const state: ProgressState = { lastRequests: 0, lastAt: 0 };
  const timer = setInterval(() => {
    const line = progressLine(client.resultsOf('traffic')!, performance.now() - started, state);
    io.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }, intervalMs);
  if (!showProgress) clearInterval(timer);
  await client.done('traffic');
  clearInterval(timer);
  io.signal?.removeEventListener('abort', onAbort);
  process.off('SIGINT', onAbort);
  process.off('SIGTERM', onAbort);
  if (showProgress && tty) io.stderr.write('\n');
  const elapsed = performance.now() - started;
  const results = client.resultsOf('traffic')!;
  if (values.json === true) io.stdout.write(`${JSON.stringify({ target, elapsedMs: Math.round(elapsed), results })}\n`);
  else io.stdout.write(summaryTables(describeTarget(target), results, elapsed));
  const total = results.requests;
  const failing = results.failed + results.bad;
  if (total > 0 && failing / total > maxErrorRate) {
    io.stderr.write(
      `switchyard traffic: ${failing} of ${total} requests failed (${((failing / total) * 100).toFixed(2)}%), above --max-error-rate ${maxErrorRate}\n`,
    );
    return 1;
  }
  return 0;
}
