/**
 * /api/1/bind over a real socket against file endpoints: a fresh namerd (nothing observed yet, so
 * every namer answer is still pending when the request arrives) must answer a union with all of its
 * members, waiting for the slow ones within the request timeout instead of dropping them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Path } from '../../src/dtab/path.js';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { FsNamer } from '../../src/namers/fs.js';
import { Activity } from '../../src/naming/activity.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpointsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'namerd-bind-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'web'), '127.0.0.1 8081\n');
  await writeFile(join(dir, 'gen'), '127.0.0.1 8082\n127.0.0.1 8083\n');
  return dir;
}

async function freshNamerd(dir: string, kinds = {}, requestTimeoutMs = 2000): Promise<RunningNamerd> {
  const prefix = Path.read('/#/io.l5d.fs');
  const interpreter = defaultInterpreter({ namers: [{ prefix, namer: new FsNamer({ rootDir: dir, prefix }) }], kinds });
  const namerd = await startNamerd({ interpreter, requestTimeoutMs });
  cleanups.push(() => namerd.close());
  const res = await fetch(`${namerd.url}/api/1/dtabs/default`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: '/svc => /#/io.l5d.fs ; /svc/mix => /svc/web & 3*/svc/gen ; /svc/stuck => /svc/web & /$/stuck',
  });
  expect(res.status).toBe(204);
  return namerd;
}

interface UnionJson {
  type: string;
  union?: {
    weight: number;
    tree: { type: string; bound?: { id: string; addr: { type: string; addrs?: unknown[] } } };
  }[];
}

describe('/api/1/bind on a fresh namerd', () => {
  it('answers a union with every member, in 15 of 15 fresh namerds', { timeout: 60_000 }, async () => {
    const dir = await endpointsDir();
    const answers: string[] = [];
    for (let run = 0; run < 15; run++) {
      const namerd = await freshNamerd(dir);
      const res = await fetch(`${namerd.url}/api/1/bind/default?path=/svc/mix`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as UnionJson;
      answers.push(
        body.type === 'union'
          ? body.union!.map((w) => `${w.weight}*${w.tree.bound?.id}:${w.tree.bound?.addr.addrs?.length}`).join(' & ')
          : `${body.type}`,
      );
      await namerd.close();
    }
    const complete = answers.filter((a) => a === '1*/#/io.l5d.fs/web:1 & 3*/#/io.l5d.fs/gen:2').length;
    console.log(
      `[namerd bind] fresh namerds answering the whole union: ${complete} of 15 (${[...new Set(answers)].join(' | ')})`,
    );
    expect(complete).toBe(15);
  });

  it('waits for a pending member only as long as the request timeout: then 503, not half a union', async () => {
    const dir = await endpointsDir();
    const namerd = await freshNamerd(dir, { stuck: { lookup: () => Activity.pending } }, 300);
    const started = Date.now();
    const res = await fetch(`${namerd.url}/api/1/bind/default?path=/svc/stuck`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('Request timed out.\n');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
