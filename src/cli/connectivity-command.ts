/**
 * `switchyard registry connectivity`: who reaches whom, as a registry's connectivity matrix
 * holds it (docs/connectivity.md#the-cli) — printed once, or again every interval with
 * `--watch` until Ctrl-C, as text or, with `--json`, the registry's own JSON.
 */
import { request } from 'undici';
import type { ConnectivityView } from '../registry/connectivity-view.js';
import { parseDuration } from '../traffic/duration.js';
import { ExitCode, type Options } from './args.js';
import { connectivityText } from './connectivity-text.js';
import type { CliIo } from './io.js';
import { UsageText } from './usage-text.js';

export const connectivityHelp = new UsageText(
  'switchyard registry connectivity',
  `switchyard registry connectivity: who reaches whom, from the registry's connectivity matrix.

Usage:
  switchyard registry connectivity [flags]

Flags:
      --registry URL   the registry (default http://127.0.0.1:4190; a router's admin port serves one too)
      --label LABEL    only this label
      --watch          print again every interval (--every, default 2s) until Ctrl-C
      --every DUR      how often --watch prints (default 2s)
      --json           the registry's JSON instead of the table
  -h, --help           help for connectivity

Rows are destinations and columns sources; cells are the last ping's latency in ms, x when it
failed (the errors follow the table), ? before the first sample.
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  registry: { type: 'string' },
  label: { type: 'string' },
  watch: { type: 'boolean' },
  every: { type: 'string' },
  json: { type: 'boolean' },
};

async function fetchView(base: string, label: string | undefined): Promise<ConnectivityView> {
  const query = label === undefined ? '' : `?label=${encodeURIComponent(label)}`;
  const res = await request(`${base}/registry/peers/connectivity${query}`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`the registry answered ${res.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as ConnectivityView;
}

export async function connectivityCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = connectivityHelp.parse(args, options, false);
  if (values.help === true) return connectivityHelp.print(io);
  const base = ((values.registry as string | undefined) ?? 'http://127.0.0.1:4190').replace(/\/+$/, '');
  if (!/^https?:\/\/./.test(base) || !URL.canParse(base)) {
    io.stderr.write(
      `switchyard registry connectivity: --registry: must be an http:// URL, got ${JSON.stringify(base)}\n`,
    );
    return ExitCode.usage;
  }
  const everyMs = parseDuration((values.every as string | undefined) ?? '2s');
  if (everyMs === null || everyMs < 100) {
    io.stderr.write('switchyard registry connectivity: --every: must be a duration of at least 100ms\n');
    return ExitCode.usage;
  }
  const label = values.label as string | undefined;
  const show = async () => {
    const view = await fetchView(base, label);
    io.stdout.write(values.json === true ? `${JSON.stringify(view, null, 2)}\n` : connectivityText(view));
  };
  try {
    await show();
    while (values.watch === true && io.signal?.aborted !== true) {
      const stopped = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), everyMs);
        const stop = () => {
          clearTimeout(timer);
          resolve(true);
        };
        io.signal?.addEventListener('abort', stop, { once: true });
      });
      if (stopped) break;
      io.stdout.write(`\n${new Date().toISOString()}\n`);
      await show();
    }
  } catch (e) {
    io.stderr.write(`switchyard registry connectivity: ${(e as Error).message}\n`);
    return ExitCode.failure;
  }
  return ExitCode.ok;
}
