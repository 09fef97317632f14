/**
 * `namectl dtab watch`: prints each version of a namespace's dtab as namerd streams it, until
 * Ctrl-C. The stream is switchyard's ndjson watch, whose heartbeats make a dead connection
 * visible: when nothing arrives for the idle timeout (three heartbeat intervals by default) or
 * the stream ends, namectl reconnects with exponential backoff. A reconnected stream starts
 * with the current version again, which is printed only if it is new, so every version shows
 * once. Only the first connection's failure ends the command; later ones are retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Dtab } from '../index.js';
import { NamerdHttpError, type WatchEvent } from '../namerd-protocol/client.js';
import { escapeControls } from '../store/write-message.js';
import { type CliIo, writeErr, writeOut } from './io.js';
import { COMMON_FLAGS_HELP, expectArgs, NamectlExit, type OuterFlags, parseCommand, withNamerd } from './remote.js';
import { UsageText } from './usage-text.js';

const watchHelp = new UsageText(
  'namectl dtab watch',
  `Print a namespace's dtab now and each new version as it is written, until Ctrl-C. Each
version starts with '# version <etag> (<number>) <time> <message>'; --json prints namerd's
events instead, one JSON object per line. If the connection ends or stays silent for longer
than --idle-timeout, namectl reconnects (waiting 0.2 s, doubling up to 10 s).

Usage:
  namectl dtab watch NS [flags]

Flags:
      --idle-timeout D   reconnect after D without data (default 30s: three of namerd's 10 s
                         heartbeats); D is a number with ms, s or m (plain numbers are seconds)
${COMMON_FLAGS_HELP}
`,
);

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

export async function watchCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const cmd = parseCommand(watchHelp, args, { 'idle-timeout': { type: 'string' } }, outer);
  if (cmd.help) return watchHelp.print(io);
  const [ns] = expectArgs(watchHelp, cmd.positionals, ['NS']) as [string];
  const idleText = cmd.values['idle-timeout'];
  const idleMs = typeof idleText === 'string' ? parseDuration(idleText) : 30_000;
  if (idleMs === null) throw watchHelp.error(`invalid --idle-timeout '${idleText}': use e.g. 500ms, 30s or 1m`);

  const printer = new VersionPrinter(io, ns, cmd.json);
  const signal = io.signal;
  const stopped = () => signal?.aborted === true;
  await withNamerd(io, cmd.remote, async (client) => {
    let backoff = MIN_BACKOFF_MS;
    let connected = false;
    while (!stopped()) {
      let why: string;
      try {
        for await (const event of client.watch(ns, { idleTimeoutMs: idleMs })) {
          connected = true;
          backoff = MIN_BACKOFF_MS;
          printer.print(event);
        }
        why = 'namerd ended the stream';
      } catch (error) {
        if (stopped()) break;
        // Until one stream has worked, a failure is the answer (wrong URL, invalid name): report it.
        if (!connected || (error instanceof NamerdHttpError && error.status < 500)) throw error;
        why = idleCause(error) ? `no data from namerd for ${idleMs} ms` : (error as Error).message;
      }
      writeErr(io, `namectl: watch ${ns}: ${why}; reconnecting in ${seconds(backoff)}\n`);
      try {
        await sleep(backoff, undefined, signal === undefined ? {} : { signal });
      } catch {
        break;
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  });
  return NamectlExit.ok;
}

/** Prints each version once, in the pretty form or as JSON lines. */
class VersionPrinter {
  readonly #io: CliIo;
  readonly #ns: string;
  readonly #json: boolean;
  #last: string | undefined;
  #printed = 0;

  constructor(io: CliIo, ns: string, json: boolean) {
    this.#io = io;
    this.#ns = ns;
    this.#json = json;
  }

  print(event: WatchEvent): void {
    if (event.type === 'heartbeat') return;
    // An event a newer namerd added is skipped; anything else unreadable is namerd's plain-text failure.
    if (event.type === 'unknown' && event.json) return;
    if (event.type === 'error' || event.type === 'unknown') {
      const why = event.type === 'error' ? event.message : event.line.slice(0, 300);
      writeErr(this.#io, `namectl: watch ${this.#ns}: namerd: ${escapeControls(why)}\n`);
      return;
    }
    // A restarted in-memory namerd reuses numbers, and linkerd's sends none: the text counts too.
    const key = event.type === 'deleted' ? 'deleted' : `${event.number ?? ''} ${event.dtab}`;
    if (key === this.#last) return;
    this.#last = key;
    if (this.#json) {
      writeOut(this.#io, `${JSON.stringify(event)}\n`);
      return;
    }
    const gap = this.#printed++ === 0 ? '' : '\n';
    if (event.type === 'deleted') {
      const what = this.#printed === 1 ? 'does not exist; waiting for it to be created' : 'was deleted';
      writeOut(this.#io, `${gap}# ${this.#ns} ${what}\n`);
      return;
    }
    const header =
      event.version === undefined
        ? '# new version'
        : [`# version ${event.version}`, `(${event.number})`, event.time, event.message]
            .filter((part) => part !== undefined && part !== '')
            .join(' ');
    // The message and time are namerd's free text: no escape sequences reach the terminal.
    writeOut(this.#io, `${gap}${escapeControls(header)}\n${Dtab.read(event.dtab).showPretty()}`);
  }
}

/** `500ms`, `2s`, `1.5m`, or a plain number of seconds; null for anything else. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (match === null) return null;
  const ms = Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000);
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : null;
}

function idleCause(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return cause?.code === 'UND_ERR_BODY_TIMEOUT';
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
