/**
 * A base dtab written into the router's config (`dtab:`): known at once and never changes, so
 * the router is ready from the start. A syntax error is a failed state rather than an
 * exception so every source reports problems the same way (config validation has normally
 * caught it already).
 */
import { Dtab } from '../../dtab/dtab.js';
import { Var } from '../../naming/var.js';
import { type BaseDtabSource, type BaseDtabState, contentVersion, describeParseError } from './base-dtab.js';

export class StaticDtabSource implements BaseDtabSource {
  readonly state: Var<BaseDtabState>;

  constructor(dtab: Dtab | string, source = 'config') {
    this.state = Var.value(StaticDtabSource.#stateOf(dtab, source));
  }

  static #stateOf(dtab: Dtab | string, source: string): BaseDtabState {
    try {
      const parsed = typeof dtab === 'string' ? Dtab.read(dtab) : dtab;
      return {
        status: 'ok',
        snapshot: { dtab: parsed, source, version: contentVersion(parsed.show()), updatedAt: Date.now() },
      };
    } catch (e) {
      return { status: 'failed', error: new Error(describeParseError(source, e)) };
    }
  }

  start(): void {}

  async close(): Promise<void> {}
}
