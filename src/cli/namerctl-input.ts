/**
 * How namerctl reads the dtab a write sends: the file (or `-`, standard input) is sent as it is,
 * unchecked, as application/dtab; only text whose first character is `{` or `[` is JSON, read as
 * a `{"version","dtab"}` object whose `dtab` goes out as application/json and whose `version`
 * becomes If-Match. Go's decoder rules apply: keys match without regard to case, a null leaves
 * the field empty, a value of the wrong type fails the whole read with Go's message (so a bare
 * `[…]` array fails, as it did in namerctl).
 */
import { readFile } from 'node:fs/promises';
import type { DtabBody } from '../namerd-protocol/client.js';
import { DTAB_TYPE, JSON_TYPE } from '../namerd-protocol/dtab-codec.js';
import { type CliIo, readSource, resolveFile } from './io.js';
import { CommandFailure } from './run.js';

export interface WriteInput {
  readonly body: DtabBody;
  /** The ETag a JSON input carried: it becomes If-Match. */
  readonly version?: string;
}

export const NAMERCTL_FAILURE = 255;

function fail(message: string): CommandFailure {
  return new CommandFailure(message, NAMERCTL_FAILURE, { plain: true });
}

export async function readNamerctlInput(io: CliIo, file: string): Promise<WriteInput> {
  if (file === '') throw fail('empty dtab path');
  let text: string;
  try {
    text = file === '-' ? await readSource(io, file) : await readFile(resolveFile(io, file), 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EISDIR') throw fail(`read ${file}: is a directory`);
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code;
    throw fail(`open ${file}: ${why ?? (error as Error).message}`);
  }
  if (!text.startsWith('{') && !text.startsWith('[')) return { body: { contentType: DTAB_TYPE, text } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(goSyntaxError(text, error as Error));
  }
  return readVersionedDtab(value);
}

function readVersionedDtab(value: unknown): WriteInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fail(`json: cannot unmarshal ${goKind(value)} into Go value of type namer.VersionedDtab`);
  }
  const fields = value as Record<string, unknown>;
  const version = goField(fields, 'version');
  if (version !== undefined && version !== null && typeof version !== 'string') {
    throw fail(
      `json: cannot unmarshal ${goKind(version)} into Go struct field VersionedDtab.version of type namer.Version`,
    );
  }
  const dtab = goField(fields, 'dtab');
  let entries: unknown = null;
  if (dtab !== undefined && dtab !== null) {
    if (!Array.isArray(dtab)) {
      throw fail(`json: cannot unmarshal ${goKind(dtab)} into Go struct field VersionedDtab.dtab of type namer.Dtab`);
    }
    entries = dtab.map((entry) => readDentry(entry));
  }
  const body: DtabBody = { contentType: JSON_TYPE, text: JSON.stringify(entries) };
  return typeof version === 'string' && version !== '' ? { body, version } : { body };
}

function readDentry(entry: unknown): unknown {
  if (entry === null) return null;
  if (typeof entry !== 'object' || Array.isArray(entry)) {
    throw fail(`json: cannot unmarshal ${goKind(entry)} into Go struct field VersionedDtab.dtab of type namer.Dentry`);
  }
  const out: Record<string, string> = {};
  for (const [key, name] of [
    ['prefix', 'prefix'],
    ['dst', 'dst'],
  ] as const) {
    const v = goField(entry as Record<string, unknown>, key);
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw fail(`json: cannot unmarshal ${goKind(v)} into Go struct field Dentry.${name} of type string`);
    }
    out[key] = typeof v === 'string' ? v : '';
  }
  return out;
}

/** Go matches a JSON key to a field exactly first, then without regard to case. */
function goField(fields: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(fields, name)) return fields[name];
  const key = Object.keys(fields).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : fields[key];
}

function goKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Go's scanner says what it found and, roughly, where; V8 says where. */
function goSyntaxError(text: string, error: Error): string {
  const at = /at position (\d+)/.exec(error.message);
  if (at === null || Number(at[1]) >= text.length) return 'unexpected end of JSON input';
  const c = text[Number(at[1])]!;
  return `invalid character '${c}' looking for beginning of value`;
}
