/**
 * The JSON Schemas of linkerd's router and namerd files (docs/schema/linkerd.schema.json,
 * namerd-linkerd.schema.json) are what the tables render, pass the walkthrough's own files, and
 * refuse a typo as the translation does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configMarkdown } from '../../src/config/config-reference.js';
import { routerConfigs } from '../../src/config/linkerd-format.js';
import { LINKERD_SCHEMA_NAMES, linkerdSchema } from '../../src/config/linkerd-reference.js';
import { namerdSetup } from '../../src/config/namerd-linkerd-format.js';
import { repoRoot } from '../helpers/repo.js';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const fixture = (name: string) => read(`test/fixtures/linkerd/${name}`);
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = {
  linkerd: ajv.compile(linkerdSchema('linkerd')),
  namerd: ajv.compile(linkerdSchema('namerd-linkerd')),
};

describe("the schemas of linkerd's formats", () => {
  it('docs/schema/ and the config.md section are what the tables render (run npm run config-reference)', () => {
    for (const name of LINKERD_SCHEMA_NAMES)
      expect(JSON.parse(read(`docs/schema/${name}.schema.json`))).toEqual(linkerdSchema(name));
    expect(read('docs/config.md')).toBe(configMarkdown());
    expect(configMarkdown()).toContain("## linkerd's config format");
  });

  it("pass the walkthrough's linkerd and namerd files", () => {
    for (const name of ['linkerd.yml', 'compose-linkerd.yml', 'linkerd-daemonset-grpc.yml']) {
      const ok = validate.linkerd(parseYaml(fixture(name)));
      expect(ok, `${name}: ${JSON.stringify(validate.linkerd.errors)}`).toBe(true);
    }
    for (const name of ['namerd.yml', 'compose-namerd.yml']) {
      const ok = validate.namerd(parseYaml(fixture(name)));
      expect(ok, `${name}: ${JSON.stringify(validate.namerd.errors)}`).toBe(true);
    }
  });

  it('refuse a typo, at the top and in a router entry, as the translation does', () => {
    const router = { protocol: 'http', dtab: '/svc => /$/inet/127.0.0.1/1' };
    for (const config of [{ routers: [router], surelyATypo: 1 }, { routers: [{ ...router, surelyATypo: 1 }] }]) {
      expect(validate.linkerd(config)).toBe(false);
      expect(() => routerConfigs(JSON.stringify(config))).toThrow(/surelyATypo: unknown key/);
    }
    const namerd = { storage: { kind: 'io.l5d.inMemory' }, surelyATypo: 1 };
    expect(validate.namerd(namerd)).toBe(false);
    expect(() => namerdSetup(JSON.stringify(namerd))).toThrow(/surelyATypo: unknown key/);
  });
});
