/**
 * YAML configuration text to a value. The parser is loaded on first use: most processes run on
 * flags alone, and a sidecar's memory is better spent elsewhere (~9 MB).
 */
import { createRequire } from 'node:module';

type Parse = (text: string) => unknown;
let parse: Parse | undefined;

export function parseYaml(text: string): unknown {
  parse ??= (createRequire(import.meta.url)('yaml') as { parse: Parse }).parse;
  return parse(text);
}
