/**
 * namerctl's configuration file, which namectl reads too: `--config FILE`, or else the first
 * `.namerctl.<ext>` found in the working directory or any directory above it (namerctl looked
 * there through viper, trying json, toml, yaml, yml, properties, props, prop and hcl in that order
 * in each directory). The one key is `base-url`, matched without regard to case, as viper does.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';

export const CONFIG_NAME = '.namerctl';
export const CONFIG_EXTENSIONS = ['json', 'toml', 'yaml', 'yml', 'properties', 'props', 'prop', 'hcl'] as const;

export interface ConfigRead {
  /** The file read, or undefined when none was found. */
  readonly file?: string;
  /** Its `base-url`, when it has one. */
  readonly baseUrl?: string;
  /** Why the file could not be used (unreadable, unparsable, unknown type). */
  readonly problem?: string;
}

/** The config file namerctl would use: `explicit`, or the nearest `.namerctl.<ext>` from `cwd` up. */
export function findConfigFile(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined && explicit !== '') return resolve(cwd, explicit);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const ext of CONFIG_EXTENSIONS) {
      const file = join(dir, `${CONFIG_NAME}.${ext}`);
      if (isFile(file)) return file;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export async function readConfig(cwd: string, explicit?: string): Promise<ConfigRead> {
  const file = findConfigFile(cwd, explicit);
  if (file === undefined) return {};
  const ext = extname(file).slice(1).toLowerCase();
  if (!(CONFIG_EXTENSIONS as readonly string[]).includes(ext)) {
    return { file, problem: `Unsupported Config Type "${ext}"` };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code;
    return { file, problem: `open ${explicit ?? file}: ${why ?? (error as Error).message}` };
  }
  let values: Record<string, unknown>;
  try {
    values = await parseConfig(ext, text);
  } catch (error) {
    return { file, problem: `While parsing config: ${(error as Error).message}` };
  }
  const key = Object.keys(values).find((k) => k.toLowerCase() === 'base-url');
  const value = key === undefined ? undefined : values[key];
  if (value === undefined || value === null || typeof value === 'object') return { file };
  return { file, baseUrl: String(value) };
}

/** The top-level keys of a config file. TOML, HCL and properties need only `key = value` lines here. */
async function parseConfig(ext: string, text: string): Promise<Record<string, unknown>> {
  if (ext === 'json' || ext === 'yaml' || ext === 'yml') {
    // The YAML parser is loaded only for a YAML file: every CLI run would pay for it otherwise.
    const value: unknown = ext === 'json' ? JSON.parse(text) : (await import('yaml')).parse(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error('the file is not a map of keys');
    return value as Record<string, unknown>;
  }
  const values: Record<string, unknown> = {};
  const separator =
    ext === 'toml' || ext === 'hcl' ? /^\s*([^=\s#]+)\s*=\s*(.*?)\s*$/ : /^\s*([^=:\s#!]+)\s*[=:\s]\s*(.*?)\s*$/;
  for (const line of text.split(/\r?\n/)) {
    // Keys after a TOML table header belong to that table, not to the top level.
    if (ext === 'toml' && /^\s*\[/.test(line)) break;
    if (/^\s*([#!]|\/\/|$)/.test(line)) continue;
    const match = separator.exec(line);
    if (match === null) continue;
    const raw = match[2]!;
    values[match[1]!] = /^(".*"|'.*')$/.test(raw) ? raw.slice(1, -1) : raw.replace(/\s+#.*$/, '');
  }
  return values;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
