/**
 * A run's events for a person at a terminal: one line or a short block per event, written as it
 * happens, with the numbers each verdict rests on. Text from routers and namerd (error messages,
 * history messages) is escaped before it reaches the terminal.
 */
import { escapeControls } from '../store/write-message.js';
import type { CanaryEvent, Side } from './events.js';

const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

function side(name: string, s: Side): string {
  const grpc = Object.entries(s.grpcErrors)
    .map(([code, n]) => `${n}×${code}`)
    .join(' ');
  const p99 = s.p99 === null ? 'n/a' : `${s.p99} ms`;
  return `    ${name.padEnd(8)} ${String(s.requests).padStart(8)} requests ${String(s.failures).padStart(6)} errors  ${pct(s.errorRate).padStart(7)}  p99 ${p99}${grpc === '' ? '' : `  grpc-status ${grpc}`}\n`;
}

export function eventText(e: CanaryEvent): string {
  switch (e.event) {
    case 'start':
      return e.resumedAt === 0
        ? `canary ${e.canary} for ${e.service} in ${e.namespace}: steps ${e.steps.join(', ')}% against ${e.primary}, from version ${e.base}\n`
        : `canary ${e.canary} for ${e.service} in ${e.namespace}: resuming at step ${e.resumedAt}/${e.steps.length} (${e.steps[e.resumedAt - 1]}%), started from version ${e.base}\n`;
    case 'step':
      return `step ${e.step}/${e.of}: ${e.percent}% → version ${e.version ?? '?'}: ${e.dentry}\n`;
    case 'routers':
      return (
        `  judging on ${e.routers.length} router(s): ${e.routers.join(', ')}\n` +
        (e.behind.length === 0 ? '' : `  not yet on the new version (counted anyway): ${e.behind.join(', ')}\n`)
      );
    case 'window': {
      const p = e.pValue === null ? '' : `  one-sided Fisher p = ${e.pValue.toPrecision(3)} (α ${e.alpha})\n`;
      const verdict = e.verdict === 'pass' ? 'PASS' : e.verdict === 'fail' ? 'FAIL' : 'WAIT (window extended)';
      return (
        `  window ${e.seconds}s at ${e.percent}%:\n` +
        side('canary', e.canary) +
        side('primary', e.primary) +
        p +
        e.unreadable.map((u) => `  router ${u.router} unreadable: ${escapeControls(u.error)}\n`).join('') +
        e.notes.map((n) => `  note: ${n}\n`).join('') +
        `  verdict: ${verdict}${e.reasons.length === 0 ? '' : `: ${e.reasons.join('; ')}`}\n`
      );
    }
    case 'rollback':
      return `rolled back at step ${e.step}: the dtab the run started from is version ${e.version ?? '?'} now\n`;
    case 'promoted':
      return `promoted: version ${e.version ?? '?'} sends everything to the canary\n`;
    case 'paused':
      return (
        `paused at step ${e.step} (${e.percent}%): the dtab stays as it is.\n` +
        `  continue: namectl canary resume ${e.namespace}\n  roll back: namectl canary abort ${e.namespace}\n`
      );
    case 'conflict':
      return (
        `stopped: the namespace was changed by someone else. The run expected version ${e.expected ?? '?'}, ` +
        `but it is version ${e.current ?? '?'}${e.time === undefined ? '' : `, written ${e.time}`}` +
        `${e.message === undefined ? '' : ` with the message "${escapeControls(e.message)}"`}. Nothing was overwritten.\n`
      );
    case 'end':
      return '';
  }
}
