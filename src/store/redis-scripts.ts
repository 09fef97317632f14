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
 * KEYS: current hash, history list, last-version counter, namespace set.
 * ARGV: mode (create|update|put|delete), ns, dtab text, time (ms, as text), message ('' = none),
 *       expected version (update only), history limit, channel.
 * Returns {'ok', version} | {'exists', current} | {'notfound'} | {'mismatch', current}.
 * The counter outlives deletion, so a namespace created again continues its numbering.
 */
export const WRITE_SCRIPT = `
local hash, hist, last, names = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local mode, ns, text, time, message = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local expected, limit, channel = ARGV[6], tonumber(ARGV[7]), ARGV[8]
local current = redis.call('HGET', hash, 'version')
if mode == 'create' and current then return {'exists', current} end
if (mode == 'update' or mode == 'delete') and not current then return {'notfound'} end
if mode == 'update' and current ~= expected then return {'mismatch', current} end
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
redis.call('PUBLISH', channel, cjson.encode(entry))
return {'ok', version}
`;

/**
 * KEYS: current hash, last-version counter. Returns {last, version, text, time, message}: the
 * current value together with the newest version number (a deletion's, when the namespace is
 * gone), read in one step so a watcher knows exactly which version its value is.
 */
export const READ_SCRIPT = `
local v = redis.call('HMGET', KEYS[1], 'version', 'text', 'time', 'message')
return {redis.call('GET', KEYS[2]) or '0', v[1], v[2], v[3], v[4]}
`;

/** A history entry or change message as WRITE_SCRIPT encodes it; time travels as text, since Lua's JSON would round it. */
interface EncodedEntry {
  readonly version: number;
  readonly time: string;
  readonly message?: string;
  readonly dtab: string | null;
  readonly ns?: string;
  readonly listChanged?: boolean;
}

export function decodeHistoryEntry(json: string): HistoryEntry {
  return toEntry(JSON.parse(json) as EncodedEntry);
}

/** The PUBLISHed change: the new version as a history entry, and whether the name list changed. */
export interface ChangeMessage {
  readonly ns: string;
  readonly listChanged: boolean;
  readonly entry: HistoryEntry;
}

/** Throws on anything WRITE_SCRIPT did not publish. */
export function decodeChangeMessage(json: string): ChangeMessage {
  const e = JSON.parse(json) as EncodedEntry;
  if (typeof e.ns !== 'string' || typeof e.version !== 'number') throw new Error('not a switchyard change message');
  return { ns: e.ns, listChanged: e.listChanged === true, entry: toEntry(e) };
}

function toEntry(e: EncodedEntry): HistoryEntry {
  const dtab = e.dtab === null ? null : Dtab.read(e.dtab);
  return { version: e.version, time: Number(e.time), dtab, ...(e.message ? { message: e.message } : {}) };
}
