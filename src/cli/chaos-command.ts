/**
 * `switchyard chaos run EXPERIMENT.yaml`: a chaos experiment with a steady-state hypothesis
 * (docs/experiments.md). The file is validated once (every problem with its path, exit 64, before
 * anything is touched); each run prints one JSON verdict line on stdout; `--every` repeats it,
 * at most `--max-runs` times. Exit codes follow the canary's convention (0 good, 1 judged bad,
 * 2 and up could not judge): 0 passed, 1 the hypothesis deviated, 2 could not run, 3 the
 * rollback left something behind, 4 interrupted (after the rollback), 64 bad input.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { reachProblems } from '../experiment/preflight.js';
import { runExperiment } from '../experiment/run.js';
import { sleep } from '../experiment/sleep.js';
import { type Experiment, LIMITS, validateExperiment } from '../experiment/spec.js';
import { ChaosExit } from '../experiment/verdict.js';
import { K8sApiClient } from '../namers/k8s/api-client.js';
import { resolveApiConnection } from '../namers/k8s/api-connection.js';
import { parseDuration } from '../traffic/duration.js';
import type { Options } from './args.js';
import { type CliIo, describeIoError, envOf, resolveFile } from './io.js';
import { CommandFailure } from './run.js';
import { UsageText } from './usage-text.js';

export const chaosHelp = new UsageText(
  'switchyard chaos',
  `switchyard chaos: run a chaos experiment: check a steady-state hypothesis, add faults or kill
pods or local peers, check the hypothesis again, roll back, and print a JSON verdict
(docs/experiments.md).

Usage:
  switchyard chaos run EXPERIMENT.yaml [flags]

Flags:
      --every DURATION          run again every DURATION (1s to 24h), one verdict per line
      --max-runs N              with --every, stop after N runs (1-10000, default 100)
      --k8s-api URL             the Kubernetes API for kill-pod (default: --kubeconfig if given,
                                else the in-cluster service account, else http://localhost:8001)
      --kubeconfig FILE         a kubeconfig for kill-pod; its current context, or --context
      --context NAME            the kubeconfig context
      --admin-token-file FILE   bearer token for Toxiproxy APIs on router admin ports
      --allow-remote-toxiproxy  allow Toxiproxy API URLs that are not loopback
  -h, --help                    help for chaos

Exit status: 0 passed, 1 the hypothesis deviated, 2 could not run, 3 the rollback left
something behind, 4 interrupted (rolled back), 64 bad experiment file or flags. With --every,
the worst of all runs. Ctrl-C or SIGTERM stops the run where it is and rolls back.
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  every: { type: 'string' },
  'max-runs': { type: 'string' },
  'k8s-api': { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'admin-token-file': { type: 'string' },
  'allow-remote-toxiproxy': { type: 'boolean' },
};

const usage = ChaosExit.usage;
/** Worse outcomes win when --every reports one exit code for many runs. */
const SEVERITY = [0, 1, 2, 3, 4];

function readExperiment(io: CliIo, file: string): Experiment {
  let text: string;
  try {
    text = readFileSync(resolveFile(io, file), 'utf8');
  } catch (e) {
    throw new CommandFailure(`${file}: ${describeIoError(e)}`, usage);
  }
  if (Buffer.byteLength(text) > LIMITS.maxBytes) throw new CommandFailure(`${file}: larger than 64 KiB`, usage);
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 10 });
  } catch (e) {
    throw new CommandFailure(`${file}: ${(e as Error).message.split('\n')[0]}`, usage);
  }
  const { experiment, problems } = validateExperiment(raw);
  if (experiment === null)
    throw new CommandFailure(`${file}: invalid experiment:${problems.map((p) => `\n  - ${p}`).join('')}`, usage);
  return experiment;
}

/** Aborted by the CLI's interrupt and, in the real process, by SIGINT and SIGTERM. */
function stopSignal(io: CliIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  io.signal?.addEventListener('abort', stop, { once: true });
  const real = io.stdout === process.stdout;
  if (real) for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, stop);
  return {
    signal: controller.signal,
    dispose() {
      io.signal?.removeEventListener('abort', stop);
      if (real) for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, stop);
    },
  };
}

export async function chaosCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = chaosHelp.parse(args, options, true);
  if (values.help === true || positionals[0] === 'help') return chaosHelp.print(io);
  const [sub, file, ...extra] = positionals;
  if (sub === undefined) throw chaosHelp.error('missing command: run');
  if (sub !== 'run') throw chaosHelp.error(`unknown command "${sub}" for "switchyard chaos"`);
  if (file === undefined) throw chaosHelp.error('missing EXPERIMENT.yaml');
  if (extra.length > 0) throw chaosHelp.error(`unexpected argument '${extra[0]}'`);
  const str = (k: string) => values[k] as string | undefined;

  const problems: string[] = [];
  let everyMs: number | null = null;
  if (str('every') !== undefined) {
    everyMs = parseDuration(str('every')!.slice(0, 30));
    if (everyMs === null || everyMs < 1000 || everyMs > 86_400_000)
      problems.push('--every: must be a duration from 1s to 24h');
  }
  let maxRuns = everyMs === null ? 1 : 100;
  if (str('max-runs') !== undefined) {
    maxRuns = /^\d{1,5}$/.test(str('max-runs')!) ? Number(str('max-runs')) : 0;
    if (maxRuns < 1 || maxRuns > 10_000) problems.push('--max-runs: must be an integer from 1 to 10000');
    if (everyMs === null) problems.push('--max-runs: only with --every');
  }
  let token: string | undefined;
  if (str('admin-token-file') !== undefined) {
    try {
      token = readFileSync(resolveFile(io, str('admin-token-file')!), 'utf8').trim();
      if (token === '' || /\s/.test(token)) problems.push('--admin-token-file: the file must hold one token');
    } catch (e) {
      problems.push(`--admin-token-file: ${describeIoError(e)}`);
    }
  }
  let experiment: Experiment | undefined;
  try {
    experiment = readExperiment(io, file);
  } catch (e) {
    if (!(e instanceof CommandFailure)) throw e;
    problems.push(e.message);
  }
  if (experiment !== undefined)
    problems.push(
      ...(await reachProblems(experiment, values['allow-remote-toxiproxy'] === true)).map((p) => `${file}: ${p}`),
    );
  let k8s: K8sApiClient | undefined;
  if (experiment?.method.some((a) => a.action === 'kill-pod')) {
    try {
      const settings = {
        ...(str('k8s-api') !== undefined ? { apiUrl: str('k8s-api')! } : {}),
        ...(str('kubeconfig') !== undefined ? { kubeconfig: resolveFile(io, str('kubeconfig')!) } : {}),
        ...(str('context') !== undefined ? { context: str('context')! } : {}),
      };
      k8s = new K8sApiClient(resolveApiConnection(settings, envOf(io)));
    } catch (e) {
      problems.push(`kill-pod: ${(e as Error).message.trim()}`);
    }
  }
  if (problems.length > 0 || experiment === undefined) throw new CommandFailure(problems.join('\n'), usage);

  const stop = stopSignal(io);
  let worst = 0;
  try {
    for (let run = 1; run <= maxRuns; run++) {
      const startedAt = Date.now();
      const verdict = await runExperiment(experiment, {
        k8s: () => k8s!,
        signal: stop.signal,
        ...(token === undefined ? {} : { token }),
      });
      io.stdout.write(`${JSON.stringify(everyMs === null ? verdict : { run, ...verdict })}\n`);
      if (SEVERITY.indexOf(verdict.exitCode) > SEVERITY.indexOf(worst)) worst = verdict.exitCode;
      if (stop.signal.aborted || run === maxRuns || everyMs === null) break;
      try {
        await sleep(Math.max(0, startedAt + everyMs - Date.now()), stop.signal);
      } catch {
        // Stopped between runs: nothing was running, nothing to roll back; the runs so far decide.
        break;
      }
    }
  } finally {
    stop.dispose();
    await k8s?.close();
  }
  return worst;
}
