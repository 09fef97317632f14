/**
 * YAML configuration text to a value. The parser is loaded on first use: most processes run on
 * flags alone, and a sidecar's memory is better spent elsewhere (~9 MB).
 */
import { createRequire } from 'node:module';
import { isObject, type Problems, type Raw } from './validation.js';

type Parse = (text: string) => unknown;
let parse: Parse | undefined;

export function parseYaml(text: string): unknown {
  parse ??= (createRequire(import.meta.url)('yaml') as { parse: Parse }).parse;
  return parse(text);
}

/** A configuration file's top-level mapping (empty for no file or an empty one); problems name `source`. */
export function yamlMapping(text: string | null, source: string, problems: Problems): Raw {
  if (text === null) return {};
  try {
    const parsed: unknown = parseYaml(text);
    if (isObject(parsed)) return parsed;
    if (parsed !== null && parsed !== undefined) problems.add(source, 'must be a YAML mapping');
  } catch (e) {
    problems.add(source, `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return {};
}
