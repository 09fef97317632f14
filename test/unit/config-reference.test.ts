/**
 * docs/config.md and docs/schema/ come from the same tables the validators read: the checked-in
 * files must be what the tables render, the shipped configurations must pass both the schema and
 * the validator, and the schema and the validator must agree on what they refuse.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configMarkdown, configSchema, SCHEMA_NAMES } from '../../src/config/config-reference.js';
import type { Fields } from '../../src/config/config-schema.js';
import { namerdConfig } from '../../src/config/namerd-config.js';
import { NAMERD_FIELDS } from '../../src/config/namerd-keys.js';
import { routerConfig } from '../../src/config/router-config.js';
import { ROUTER_FIELDS } from '../../src/config/router-keys.js';
import { repoRoot } from '../helpers/repo.js';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = { router: ajv.compile(configSchema('router')), namerd: ajv.compile(configSchema('namerd')) };
/** The validators need a base dtab source for the router; everything else may be left out. */
const minimal = { router: { dtab: '/svc => /$/inet/127.0.0.1/1' }, namerd: {} };
const accepts = {
  router: (o: object) => routerConfig(JSON.stringify(o)),
  namerd: (o: object) => namerdConfig(JSON.stringify(o)),
};
const tables: Record<'router' | 'namerd', Fields> = { router: ROUTER_FIELDS, namerd: NAMERD_FIELDS };

/** `data.<key>` of the first ConfigMap in a manifest file, parsed as YAML. */
function configMapEntry(file: string, key: string): Record<string, unknown> {
  for (const doc of read(file).split(/^---$/m)) {
    const parsed = parseYaml(doc) as { kind?: string; data?: Record<string, string> } | null;
    if (parsed?.kind === 'ConfigMap' && parsed.data?.[key] !== undefined) return parseYaml(parsed.data[key]);
  }
  throw new Error(`${file} has no ConfigMap with ${key}`);
}

describe('the configuration reference', () => {
  it('docs/config.md and docs/schema/ are what the tables render (run npm run config-reference)', () => {
    expect(read('docs/config.md')).toBe(configMarkdown());
    for (const name of SCHEMA_NAMES) {
      expect(JSON.parse(read(`docs/schema/${name}.schema.json`))).toEqual(configSchema(name));
    }
  });

  it('documents every key the validators know, and nothing else', () => {
    for (const name of SCHEMA_NAMES) {
      const known = Object.keys(tables[name]);
      const unknown = { ...minimal[name], surelyATypo: 1 };
      expect(() => accepts[name](unknown)).toThrow(/surelyATypo: unknown key/);
      expect(validate[name](unknown)).toBe(false);
      for (const key of known) expect(configMarkdown()).toContain(`| \`${key}\` |`);
    }
  });

  it('the shipped Kubernetes configurations pass the schema and the validator', () => {
    const router = configMapEntry('k8s/router-config.yaml', 'router.yaml');
    const namerd = configMapEntry('k8s/namerd.yaml', 'namerd.yaml');
    expect(validate.router(router), JSON.stringify(validate.router.errors)).toBe(true);
    expect(validate.namerd(namerd), JSON.stringify(validate.namerd.errors)).toBe(true);
    expect(() => accepts.router(router)).not.toThrow();
    expect(() => accepts.namerd(namerd)).not.toThrow();
  });

  it('every documented default is accepted as written', () => {
    for (const name of SCHEMA_NAMES) {
      const config: Record<string, unknown> = { ...minimal[name] };
      for (const [key, field] of Object.entries(tables[name])) {
        if (field.kind === 'integer' || field.kind === 'boolean' || field.kind === 'hostPort')
          config[key] = field.default;
        else if (field.kind === 'string' && field.default !== null) config[key] = field.default;
      }
      expect(validate[name](config), JSON.stringify(validate[name].errors)).toBe(true);
      expect(() => accepts[name](config)).not.toThrow();
    }
  });

  it('the schema and the validator agree on integer keys, in range and out of it', () => {
    for (const name of SCHEMA_NAMES) {
      const integers = Object.entries(tables[name]).filter(([, f]) => f.kind === 'integer');
      fc.assert(
        fc.property(
          fc.constantFrom(...integers),
          fc.oneof(fc.integer({ min: -10, max: 4_000_000 }), fc.double(), fc.string({ maxLength: 4 })),
          ([key], value) => {
            // As a file would carry it (JSON has no Infinity or NaN: they arrive as null).
            const config = JSON.parse(JSON.stringify({ ...minimal[name], [key]: value }));
            let validatorOk = true;
            try {
              accepts[name](config);
            } catch {
              validatorOk = false;
            }
            // The validator also reads digit strings (flags share its code); the schema is for files.
            if (typeof value === 'string' && /^\d+$/.test(value)) return;
            expect(validate[name](config)).toBe(validatorOk);
          },
        ),
        { numRuns: 300 },
      );
    }
  });
});
