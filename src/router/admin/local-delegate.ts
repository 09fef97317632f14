/**
 * The admin delegator's answer when the router binds names itself: the path explained against the
 * base dtab plus the caller's, bounded in time (a namer that never answers must not hold the page).
 */
import { Dtab } from '../../dtab/dtab.js';
import type { Path } from '../../dtab/path.js';
import { createError } from '../../errors.js';
import { delegateTreeToJson } from '../../naming/delegate-json.js';
import { delegate } from '../../naming/delegator.js';
import type { NameInterpreter } from '../../naming/interpreter.js';

const DELEGATE_TIMEOUT_MS = 2_000;

export async function delegateLocally(
  interpreter: NameInterpreter,
  base: Dtab | undefined,
  path: Path,
  dtabText: string | undefined,
): Promise<unknown> {
  let extra = Dtab.empty;
  try {
    if (dtabText) extra = Dtab.read(dtabText);
  } catch (e) {
    throw createError('SY_ERR_INVALID_DTAB', [(e as Error).message], e);
  }
  const dtab = (base ?? Dtab.empty).concat(extra);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(createError('SY_ERR_TIMEOUT')), DELEGATE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([delegate(interpreter, dtab, path).then((t) => delegateTreeToJson(t)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
