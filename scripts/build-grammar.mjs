#!/usr/bin/env node
// Compiles grammar/dtab.ne into src/dtab/generated/dtab-grammar.ts with nearley's own compiler.
// `--check` writes nothing and exits 1 when the committed file differs from a fresh compile,
// which is how CI and the test suite catch a hand edit or a grammar change that was not rebuilt.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const nearley = require('nearley');
const compile = require('nearley/lib/compile.js');
const generate = require('nearley/lib/generate.js');
const bootstrapped = require('nearley/lib/nearley-language-bootstrapped.js');
const { version } = require('nearley/package.json');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const grammarFile = join(root, 'grammar', 'dtab.ne');
export const generatedFile = join(root, 'src', 'dtab', 'generated', 'dtab-grammar.ts');

const BANNER =
  '// DO NOT EDIT. Generated from grammar/dtab.ne by scripts/build-grammar.mjs (npm run grammar).\n' +
  '/* eslint-disable */\n';

export function compileGrammar(source = readFileSync(grammarFile, 'utf8')) {
  const parser = new nearley.Parser(nearley.Grammar.fromCompiled(bootstrapped));
  parser.feed(source);
  parser.feed('\n');
  if (parser.results.length !== 1)
    throw new Error(`grammar/dtab.ne: ${parser.results.length} parses of the grammar itself`);
  const compiled = compile(parser.results[0], { version, args: [grammarFile] });
  return BANNER + generate(compiled, 'grammar');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const fresh = compileGrammar();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(generatedFile, 'utf8');
    } catch {}
    if (current !== fresh) {
      console.error(`${generatedFile} is out of date with grammar/dtab.ne: run npm run grammar`);
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(generatedFile), { recursive: true });
    writeFileSync(generatedFile, fresh);
  }
}
