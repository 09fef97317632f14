#!/usr/bin/env node
// A namerd stand-in for the kill -9 test (test/integration/file-store-crash.test.ts): opens the
// file store in DIR from the built dist/ and writes versions to two namespaces concurrently, as
// fast as it can, printing `ack NS VERSION` only after each write is acknowledged. The test
// SIGKILLs it at a random moment and checks that every acknowledged version survived.
// Plain JS on purpose: it runs under plain node, the way namerd does, with no test transpiler.
import { Dtab } from '../../dist/dtab/dtab.js';
import { FileDtabStore } from '../../dist/store/file-store.js';

const [dir] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: file-store-writer.mjs DIR\n');
  process.exit(64);
}
const store = await FileDtabStore.open(dir);
process.stdout.write(`ready ${process.pid}\n`);

// Bounded in count and time, in case the test that should kill it never does.
const deadline = Date.now() + 30_000;
async function writeLoop(ns) {
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const text = `/svc=>/#/io.l5d.fs/${ns}-${i};/extra=>/$/inet/127.0.0.1/${1000 + (i % 5000)}`;
    const written = await store.put(ns, Dtab.read(text), { message: `write ${i}` });
    process.stdout.write(`ack ${ns} ${written.version}\n`);
  }
}
await Promise.all([writeLoop('crash-a'), writeLoop('crash-b')]);
await store.close();
