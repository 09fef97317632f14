/**
 * The Lua side of the Redis store. Every write is one script, so its check (exists? which
 * version?), its effect (current value, name set, history, version counter) and its PUBLISH to
 * the other replicas happen as one atomic step inside Redis: no other client can interleave,
 * which is what makes compare-and-set hold across any number of namerd replicas. The decoders
 * below read back what the scripts write.
 */
import { Dtab } from '../dtab/dtab.js';
import type { HistoryEntry } from './versioned-dtab.js';

/**
 * The store's epoch: a random id kept next to the data. It is created with the first script
 * that finds it missing, so a Redis that lost its data (a restart without persistence, a
 * FLUSHALL, an eviction) comes back with a new epoch, and every reply tells each namerd which
 * epoch it read from. ARGV[1] of every script is a fresh candidate id.
 */
const EPOCH = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
`;

/**
 * KEYS: epoch, current hash, history list, last-version counter, namespace set.
 * ARGV: candidate epoch, mode (create|update|put|delete), ns, dtab text, time (ms, as text),
 *       message ('' = none), expected version (update only), history limit, channel, floor.
 * Returns {'ok', version, epoch} | {'exists', current, epoch} | {'notfound', 0, epoch} |
 * {'mismatch', current, epoch}.
 * The counter outlives deletion, so a namespace created again continues its numbering; `floor`
 * is the highest version the caller has seen, so a counter lost with the data continues after
 * it too (an ETag from before the loss can never match a dtab written after it).
 */
export const WRITE_SCRIPT = `${EPOCH}
local hash, hist, last, names = KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local mode, ns, text, time, message = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local expected, limit, channel, floor = ARGV[7], tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10])
local current = redis.call('HGET', hash, 'version')
if mode == 'create' and current then return {'exists', current, epoch} end
if (mode == 'update' or mode == 'delete') and not current then return {'notfound', 0, epoch} end
if mode == 'update' and current ~= expected then return {'mismatch', current, epoch} end
if tonumber(redis.call('GET', last) or '0') < floor then redis.call('SET', last, floor) end
local version = redis.call('INCR', last)
local entry = {version = version, time = time}
if message ~= '' then entry.message = message end
if mode == 'delete' then
  redis.call('DEL', hash)
  redis.call('SREM', names, ns)
  entry.dtab = cjson.null
else
  redis.call('HSET', hash, 'version', version, 'text', text, 'time', time, 'message', message)
  redis.call('SADD', names, ns)
  entry.dtab = text
end
redis.call('LPUSH', hist, cjson.encode(entry))
redis.call('LTRIM', hist, 0, limit - 1)
entry.ns = ns
entry.listChanged = (mode == 'delete') or not current
entry.epoch = epoch
redis.call('PUBLISH', channel, cjson.encode(entry))
return {'ok', version, epoch}
`;

/**
 * KEYS: epoch, current hash, last-version counter. ARGV: candidate epoch.
 * Returns {last, version, text, time, message, epoch}: the current value together with the
 * newest version number (a deletion's, when the namespace is gone) and the epoch, read in one
 * step so a watcher knows exactly which version its value is.
 */
export const READ_SCRIPT = `${EPOCH}
local v = redis.call('HMGET', KEYS[2], 'version', 'text', 'time', 'message')
return {redis.call('GET', KEYS[3]) or '0', v[1], v[2], v[3], v[4], epoch}
`;

/** A history entry or change message as WRITE_SCRIPT encodes it; time travels as text, since Lua's JSON would round it. */
interface EncodedEntry {
  readonly version: number;
  readonly time: string;
  readonly message?: string;
  readonly dtab: string | null;
  readonly ns?: string;
  readonly listChanged?: boolean;
  readonly epoch?: string;
}

export function decodeHistoryEntry(json: string): HistoryEntry {
  return toEntry(JSON.parse(json) as EncodedEntry);
}

/** The PUBLISHed change: the new version as a history entry, and whether the name list changed. */
export interface ChangeMessage {
  readonly ns: string;
  readonly listChanged: boolean;
  readonly entry: HistoryEntry;
  /** The epoch the write went to (absent from messages of older namerds). */
  readonly epoch?: string;
}

/** Throws on anything WRITE_SCRIPT did not publish. */
export function decodeChangeMessage(json: string): ChangeMessage {
  const e = JSON.parse(json) as EncodedEntry;
  if (typeof e.ns !== 'string' || typeof e.version !== 'number') throw new Error('not a switchyard change message');
  const epoch = typeof e.epoch === 'string' ? { epoch: e.epoch } : {};
  return { ns: e.ns, listChanged: e.listChanged === true, entry: toEntry(e), ...epoch };
}

function toEntry(e: EncodedEntry): HistoryEntry {
  const dtab = e.dtab === null ? null : Dtab.read(e.dtab);
  return { version: e.version, time: Number(e.time), dtab, ...(e.message ? { message: e.message } : {}) };
}
