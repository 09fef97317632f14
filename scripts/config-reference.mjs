// Writes docs/config.md and docs/schema/*.schema.json from the configuration tables (after a build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configMarkdown, configSchema, SCHEMA_NAMES } from '../dist/config/config-reference.js';
import { LINKERD_SCHEMA_NAMES, linkerdSchema } from '../dist/config/linkerd-reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'docs', 'schema'), { recursive: true });
writeFileSync(join(root, 'docs', 'config.md'), configMarkdown());
for (const name of SCHEMA_NAMES) {
  writeFileSync(
    join(root, 'docs', 'schema', `${name}.schema.json`),
    `${JSON.stringify(configSchema(name), null, 2)}\n`,
  );
}
// linkerd's router and namerd files, as switchyard reads them.
for (const name of LINKERD_SCHEMA_NAMES) {
  writeFileSync(
    join(root, 'docs', 'schema', `${name}.schema.json`),
    `${JSON.stringify(linkerdSchema(name), null, 2)}\n`,
  );
}
console.log('wrote docs/config.md and docs/schema/');
