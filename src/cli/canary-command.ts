/**
 * `namectl canary run|resume|abort|status NS`: the gated, automatic canary (docs/canary.md).
 * `run` takes flags or a YAML spec (`--spec FILE`; flags given as well win), writes each step by
 * compare-and-set, judges it from the routers' metrics and promotes or rolls back. Output is
 * text for people or, with --json, ndjson events (one object per line, `end` last). Exit codes:
 * 0 promoted (or done), 1 refused, 2 usage or namerd unreachable, 3 rolled back, 4 conflict,
 * 5 paused.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CanaryRun } from '../canary/controller.js';
import { type CanaryEvent, CanaryExit, type Outcome } from '../canary/events.js';
import { abortRun, CanaryRefusal, newRun, openRun, resumePosition } from '../canary/lifecycle.js';
import { eventText } from '../canary/report.js';
import { startCanaryService } from '../canary/service.js';
import { type CanarySpec, validateSpec } from '../canary/spec.js';
import { latestState } from '../canary/state.js';
import { hostPort, Problems } from '../config/validation.js';
import { NamerdClient } from '../namerd-protocol/client.js';
import { escapeControls } from '../store/write-message.js';
import { createLogger } from '../telemetry/logger.js';
import { ExitCode } from './args.js';
import { namectlDialect } from './dialect.js';
import { type CliIo, describeIoError, envOf, resolveFile } from './io.js';
import {
  asFailure,
  COMMON_FLAGS_HELP,
  type OuterFlags,
  parseCommand,
  resolveBaseUrl,
  TOKEN_FLAG_HELP,
} from './remote.js';
import { CommandFailure } from './run.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const canaryHelp = new UsageText(
  'namectl canary',
  `Move a service from its primary to a canary step by step, judging each step from the
routers' metrics, and promote it or roll it back by itself (docs/canary.md).

Usage:
  namectl canary run NS --service PATH --primary PATH --canary PATH [flags]
  namectl canary run [NS] --spec FILE [flags]
  namectl canary resume NS      continue a paused or interrupted run
  namectl canary abort NS       write back the dtab the run started from
  namectl canary status NS      the run's state, from namerd's history

Run flags:
      --spec FILE            a YAML spec (the keys of docs/canary.md); flags given win
      --service PATH         the name whose traffic is split, e.g. /srv/proto.GenSvc
      --primary PATH         where it goes now, e.g. /srv/gen
      --canary PATH          the new version, e.g. /srv/gen-growthhack
      --steps LIST           canary percentages, ending at 100 (default none: required)
      --interval DURATION    the window judged at each step (default 1m)
      --fallback             the last step writes CANARY | PRIMARY instead of CANARY
      --min-requests N       requests each side needs in a window (default 20)
      --significance A       the error test's significance (default 0.05)
      --max-error-rate R     the canary's error rate ceiling, 0-1 (default none)
      --max-p99 DURATION     the canary's p99 ceiling (default none)
      --p99-factor F         canary p99 at most primary p99 × F (default none)
      --max-extensions N     more windows a step waits for enough requests (default 3)
      --routers URL,...      router admin URLs (default http://127.0.0.1:9990)
      --registry URL         also judge on the registry's routers under --router-label
      --router-label L       (default http)
${TOKEN_FLAG_HELP}
${COMMON_FLAGS_HELP}

--json prints ndjson: one event per line, the last one {"event":"end",...}.
Exit status: 0 promoted (status, abort: done), 1 refused, 2 usage or namerd unreachable,
3 rolled back, 4 the dtab was changed by someone else (nothing overwritten), 5 paused.
Ctrl-C pauses a run: the dtab stays at the step reached.
`,
);

const FLAG_KEYS = {
  service: 'service',
  primary: 'primary',
  canary: 'canary',
  steps: 'steps',
  interval: 'interval',
  'min-requests': 'minRequests',
  significance: 'significance',
  'max-error-rate': 'maxErrorRate',
  'max-p99': 'maxP99',
  'p99-factor': 'p99Factor',
  'max-extensions': 'maxExtensions',
  routers: 'routers',
  registry: 'registry',
  'router-label': 'routerLabel',
} as const;

const runOptions = {
  spec: { type: 'string' },
  fallback: { type: 'boolean' },
  ...Object.fromEntries(Object.keys(FLAG_KEYS).map((k) => [k, { type: 'string' as const }])),
} as const;

const MAX_SPEC_BYTES = 64 * 1024;

/** Reads a YAML spec file into raw keys; a usage failure names the file and what is wrong. */
export async function readSpecFile(io: CliIo, file: string, usageCode: number): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(resolveFile(io, file), 'utf8');
  } catch (e) {
    throw new CommandFailure(`${file}: ${describeIoError(e)}`, usageCode);
  }
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) throw new CommandFailure(`${file}: larger than 64 KiB`, usageCode);
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 10 });
  } catch (e) {
    throw new CommandFailure(`${file}: ${(e as Error).message.split('\n')[0]}`, usageCode);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CommandFailure(`${file}: a spec is a mapping of keys to values`, usageCode);
  }
  return raw as Record<string, unknown>;
}

/** The spec, or a usage failure listing every bad field. */
export function specOrFail(raw: unknown, usageCode: number): CanarySpec {
  const { spec, problems } = validateSpec(raw);
  if (spec === null)
    throw new CommandFailure(`invalid canary spec:${problems.map((p) => `\n  - ${p}`).join('')}`, usageCode);
  return spec;
}

export async function canaryCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    if (sub === undefined) throw canaryHelp.error('missing command: run, resume, abort or status');
    return canaryHelp.print(io);
  }
  const routing = { routers: { type: 'string' }, registry: { type: 'string' } } as const;
  const options = sub === 'run' ? runOptions : sub === 'resume' ? routing : {};
  if (!['run', 'resume', 'abort', 'status'].includes(sub))
    throw canaryHelp.error(`unknown command "${sub}" for "namectl canary"`);
  const cmd = parseCommand(canaryHelp, rest, options, outer);
  if (cmd.help) return canaryHelp.print(io);
  if (cmd.positionals.length > 1) throw canaryHelp.error(`unexpected argument '${cmd.positionals[1]}'`);
  const ns = cmd.positionals[0];
  if (ns === undefined && !(sub === 'run' && typeof cmd.values.spec === 'string')) throw canaryHelp.error('missing NS');

  const env = envOf(io);
  const token = cmd.remote.token ?? (env.NAMECTL_TOKEN === '' ? undefined : env.NAMECTL_TOKEN);
  // No signal on the client: a pause must still write its record after Ctrl-C.
  const client = new NamerdClient(await resolveBaseUrl(cmd.remote, io), token === undefined ? {} : { token });
  const emit = (e: CanaryEvent) => io.stdout.write(cmd.json ? `${JSON.stringify(e)}\n` : eventText(e));
  const pause = pauseSignal(io);
  try {
    if (sub === 'status') return await status(client, ns!, io, cmd.json);
    if (sub === 'abort') {
      const done = await abortRun(client, ns!);
      io.stdout.write(
        cmd.json
          ? `${JSON.stringify({ event: 'aborted', namespace: ns, step: done.from, version: done.version })}\n`
          : `aborted the canary run on ${ns} at step ${done.from}: version ${done.version ?? '?'} holds the dtab it started from\n`,
      );
      return CanaryExit.aborted;
    }
    let outcome: Outcome;
    if (sub === 'run') {
      const raw: Record<string, unknown> =
        typeof cmd.values.spec === 'string' ? await readSpecFile(io, cmd.values.spec, CanaryExit.usage) : {};
      if (ns !== undefined && raw.namespace !== undefined && raw.namespace !== ns) {
        throw canaryHelp.error(`NS ${ns} differs from the spec's namespace ${String(raw.namespace)}`);
      }
      if (ns !== undefined) raw.namespace = ns;
      for (const [flag, key] of Object.entries(FLAG_KEYS))
        if (typeof cmd.values[flag] === 'string') raw[key] = cmd.values[flag];
      if (cmd.values.fallback === true) raw.fallback = true;
      const spec = specOrFail(raw, CanaryExit.usage);
      outcome = await new CanaryRun(await newRun(client, spec), { client, emit, signal: pause.signal }).run();
    } else {
      const found = await openRun(client, ns!);
      const spec = withRouting(found.state.spec, cmd.values);
      outcome = await new CanaryRun(await resumePosition(client, found, spec), {
        client,
        emit,
        signal: pause.signal,
      }).run();
    }
    return CanaryExit[outcome];
  } catch (e) {
    if (e instanceof CanaryRefusal) throw new CommandFailure(e.message, e.exitCode);
    const failure = asFailure(e);
    if (failure instanceof CommandFailure && (sub === 'run' || sub === 'resume') && ns !== undefined) {
      // A run cut short by namerd keeps its last step; its state is in the history.
      const hint = `\nThe dtab stays as last written; see 'namectl canary status ${ns}', then resume or abort.`;
      throw new CommandFailure(`${failure.message}${hint}`, failure.exitCode);
    }
    throw failure;
  } finally {
    pause.dispose();
    await client.close();
  }
}

/** A resumed run may be pointed at other routers than those its spec names. */
function withRouting(spec: CanarySpec, values: Record<string, unknown>): CanarySpec {
  const raw: Record<string, unknown> = {};
  if (typeof values.routers === 'string') raw.routers = values.routers;
  if (typeof values.registry === 'string') raw.registry = values.registry;
  if (Object.keys(raw).length === 0) return spec;
  const checked = specOrFail(
    {
      namespace: spec.namespace,
      service: spec.service,
      primary: spec.primary,
      canary: spec.canary,
      steps: spec.steps,
      ...raw,
    },
    CanaryExit.usage,
  );
  return { ...spec, routers: checked.routers, registry: checked.registry ?? spec.registry };
}

async function status(client: NamerdClient, ns: string, io: CliIo, json: boolean): Promise<number> {
  const found = latestState(await client.versions(ns));
  if (json) {
    io.stdout.write(
      `${JSON.stringify(
        found === null
          ? { namespace: ns, run: null }
          : {
              namespace: ns,
              phase: found.state.phase,
              step: found.state.step,
              steps: found.state.spec.steps,
              base: found.state.base,
              version: found.at.number,
              changedSince: found.since.map((v) => v.number),
            },
      )}\n`,
    );
    return CanaryExit.promoted;
  }
  if (found === null) {
    io.stdout.write(`no canary run in the history of ${ns}\n`);
    return CanaryExit.promoted;
  }
  const s = found.state;
  const lines = [
    `canary ${s.spec.canary} for ${s.spec.service} in ${ns} (against ${s.spec.primary})`,
    `  ${s.phase} at step ${s.step}/${s.spec.steps.length} (${s.spec.steps[s.step - 1]}%), version ${found.at.number}, written ${escapeControls(found.at.time)}`,
    `  started from version ${s.base}; steps ${s.spec.steps.join(', ')}%`,
  ];
  if (found.since.length > 0) lines.push(`  changed since by someone else: now version ${found.since[0]!.number}`);
  else if (s.phase === 'step' || s.phase === 'paused') {
    lines.push(`  continue: namectl canary resume ${ns}   roll back: namectl canary abort ${ns}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return CanaryExit.promoted;
}

/** Aborted by the CLI's interrupt (Ctrl-C) and, in the real process, by SIGTERM as well. */
function pauseSignal(io: CliIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const pause = () => controller.abort();
  io.signal?.addEventListener('abort', pause, { once: true });
  const real = io.stdout === process.stdout;
  if (real) process.once('SIGTERM', pause);
  return {
    signal: controller.signal,
    dispose() {
      io.signal?.removeEventListener('abort', pause);
      if (real) process.off('SIGTERM', pause);
    },
  };
}

export const switchyardCanaryHelp = new UsageText(
  'switchyard canary',
  `switchyard canary: run one canary spec as a long-lived controller (a Deployment in a cluster).

Usage:
  switchyard canary --spec FILE [flags]

It runs the spec (docs/canary.md) to promotion or rollback, then keeps serving its status. A
restarted controller resumes its own run from namerd's history, or stays idle when it ended.
SIGTERM pauses a running run (the dtab stays at the step reached) and exits.

Flags:
      --spec FILE            the canary spec (YAML)
      --namerd URL           namerd's address (default: $NAMECTL_BASE_URL or http://127.0.0.1:4180)
      --admin HOST:PORT      /healthz, /ready and /canary.json (default 127.0.0.1:9996)
      --log-level LEVEL      (default info)
      --log-format FORMAT    json, pretty or auto (default auto)
  -h, --help                 help for canary

The write token, when namerd wants one, is read from $NAMECTL_TOKEN.
`,
);

export async function switchyardCanaryCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = {
    help: { type: 'boolean', short: 'h' },
    spec: { type: 'string' },
    namerd: { type: 'string' },
    admin: { type: 'string' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
  } as const;
  const { values } = switchyardCanaryHelp.parse(args, options, false);
  if (values.help === true) return switchyardCanaryHelp.print(io);
  if (typeof values.spec !== 'string') throw switchyardCanaryHelp.error('missing --spec FILE');
  const usage = ExitCode.usage;
  const spec = specOrFail(await readSpecFile(io, values.spec, usage), usage);
  const problems = new Problems();
  const admin = hostPort(values.admin ?? '127.0.0.1:9996', 'admin', problems);
  const format = values['log-format'] ?? 'auto';
  if (!['json', 'pretty', 'auto'].includes(format as string))
    problems.add('log-format', 'must be json, pretty or auto');
  const level = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level as string)) {
    problems.add('log-level', 'must be fatal, error, warn, info, debug, trace or silent');
  }
  if (!problems.ok || admin === undefined) throw new CommandFailure(problems.error().message, usage);
  const env = envOf(io);
  const base = await resolveBaseUrl(
    { dialect: namectlDialect, ...(typeof values.namerd === 'string' ? { baseUrl: values.namerd } : {}) },
    io,
  );
  const token = env.NAMECTL_TOKEN === '' ? undefined : env.NAMECTL_TOKEN;
  const client = new NamerdClient(base, token === undefined ? {} : { token });
  const logger = createLogger({
    level: level as string,
    format: format as 'json' | 'pretty' | 'auto',
    name: 'canary',
    destination: io.stderr,
  });
  const service = await startCanaryService({ spec, client, admin, logger }).catch((e: unknown) => {
    throw new CommandFailure(`cannot listen on ${values.admin ?? '127.0.0.1:9996'}: ${(e as Error).message}`, 1);
  });
  logger.info(
    { adminUrl: service.adminUrl, namespace: spec.namespace, spec: service.status.spec },
    'canary controller listening',
  );
  const signal = await Promise.race([
    stopSignal(),
    ...(io.signal === undefined
      ? []
      : [new Promise<string>((r) => io.signal!.addEventListener('abort', () => r('abort')))]),
  ]);
  logger.info({ signal }, 'canary controller stopping');
  await service.stop();
  await client.close();
  return ExitCode.ok;
}
