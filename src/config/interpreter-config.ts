/**
 * The router's `interpreter` block, and `namerd.bind`: who binds names, the router's own namers or
 * namerd through its bind and addr streams (docs/router.md#namerd-as-the-interpreter). Read by
 * router-config.ts after the base dtab source, which binding through namerd replaces.
 */
import type { NamerConfig } from './namer-config.js';
import type { BaseDtabSetting } from './router-config.js';
import { isObject, type Problems, type Raw, string, unknownKeys } from './validation.js';

/** Who binds names: the router's own namers, or namerd through its bind and addr streams. */
export type InterpreterSetting =
  | { readonly kind: 'default' }
  | { readonly kind: 'io.l5d.namerd.http'; readonly url: string; readonly namespace: string };

const INET_DST = /^\/\$\/inet\/([^/]+)\/(\d+)\/?$/;

/** `dst` as a URL: given as one, or as linkerd's `/$/inet/<host>/<port>`. */
function namerdUrl(raw: unknown, key: string, p: Problems): string | undefined {
  const text = string(raw, key, p);
  if (text === undefined) return undefined;
  const inet = INET_DST.exec(text);
  if (inet) return `http://${inet[1]!.includes(':') ? `[${inet[1]}]` : inet[1]}:${inet[2]}`;
  if (/^https?:\/\/[^/]+/.test(text)) return text;
  p.add(key, `must be an http:// URL or /$/inet/<host>/<port>, got ${JSON.stringify(text)}`);
  return undefined;
}

/**
 * `interpreter: {kind: io.l5d.namerd.http, dst, namespace}` or `namerd: {…, bind: true}`. Binding
 * through namerd takes the base dtab from the same namerd namespace, so it excludes another base
 * dtab source, and local namers, which would never be asked.
 */
export function interpreterSetting(
  file: Raw,
  base: BaseDtabSetting | undefined,
  namers: readonly NamerConfig[],
  p: Problems,
): { interpreter: InterpreterSetting; base: BaseDtabSetting | undefined } {
  let interpreter: InterpreterSetting = { kind: 'default' };
  const raw = file.interpreter;
  const namerdBind = isObject(file.namerd) && file.namerd.bind === true;
  if (raw !== undefined) {
    if (!isObject(raw)) p.add('interpreter', 'must be a mapping with a kind');
    else if (raw.kind === 'io.l5d.namerd.http') {
      unknownKeys(raw, ['kind', 'dst', 'namespace'], 'interpreter', p);
      if (raw.dst === undefined) p.add('interpreter.dst', "is required: namerd's address, http://host:port");
      const url = raw.dst === undefined ? undefined : namerdUrl(raw.dst, 'interpreter.dst', p);
      const namespace = raw.namespace === undefined ? 'default' : string(raw.namespace, 'interpreter.namespace', p);
      if (url !== undefined && namespace !== undefined) {
        interpreter = { kind: 'io.l5d.namerd.http', url, namespace };
        if (base !== undefined) {
          p.add(
            'interpreter',
            `binding through namerd takes the base dtab from namerd too: drop ${base.kind === 'namerd' ? 'namerd' : base.kind === 'file' ? 'dtabFile' : 'dtab'} (or use namerd.bind: true instead)`,
          );
        }
        base = { kind: 'namerd', url, namespace, cacheFile: null };
      }
    } else if (raw.kind !== 'default') {
      p.add('interpreter.kind', `must be default or io.l5d.namerd.http, got ${JSON.stringify(raw.kind)}`);
    } else unknownKeys(raw, ['kind'], 'interpreter', p);
  }
  if (namerdBind) {
    if (base?.kind === 'namerd' && interpreter.kind === 'default') {
      interpreter = { kind: 'io.l5d.namerd.http', url: base.url, namespace: base.namespace };
    } else if (base?.kind !== 'namerd' && !(isObject(file.namerd) && typeof file.namerd.url === 'string')) {
      // With a url the base dtab sources are in conflict instead, and that problem is reported already.
      p.add('namerd.bind', 'needs namerd.url');
    }
  }
  if (isObject(file.namerd) && file.namerd.bind !== undefined && typeof file.namerd.bind !== 'boolean') {
    p.add('namerd.bind', 'must be true or false');
  }
  if (interpreter.kind !== 'default' && namers.length > 0) {
    p.add(
      'namers',
      'names bind through namerd (interpreter io.l5d.namerd.http): local namers would never be asked; remove them',
    );
  }
  return { interpreter, base };
}
