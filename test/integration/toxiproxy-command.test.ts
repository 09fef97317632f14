/**
 * `switchyard toxiproxy`: the command in-process, with Toxiproxy's -config file, its pino lines
 * and its refusals (exit 64) before any port is bound.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/switchyard.js';
import { toxiproxyCommand } from '../../src/cli/toxiproxy-command.js';
import { runMain } from '../helpers/cli-run.js';

function io() {
  const stderr = new PassThrough();
  let text = '';
  stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { io: { stdin: Readable.from([]), stdout: new PassThrough(), stderr, cwd: tmpdir() }, text: () => text };
}

describe('switchyard toxiproxy', () => {
  it('is listed in switchyard --help and has its own help', async () => {
    expect((await runMain(main, ['--help'])).stdout).toMatch(/^ {2}toxiproxy {4}/m);
    const help = await runMain(main, ['toxiproxy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--config FILE');
  });

  it('creates the proxies of a -config file, serves the API, logs changes and stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toxiproxy-'));
    const file = join(dir, 'proxies.json');
    writeFileSync(file, JSON.stringify([{ name: 'redis', listen: '127.0.0.1:0', upstream: '127.0.0.1:6379' }]));
    const { io: cliIo, text } = io();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let url!: string;
    let done!: Promise<number>;
    const listening = new Promise<void>((resolve) => {
      done = toxiproxyCommand(['--listen', '127.0.0.1:0', '--config', file, '--log-format', 'json'], cliIo, {
        stopSignal: stopped,
        onListening: (u) => {
          url = u;
          resolve();
        },
      });
    });
    await listening;
    const proxies = (await (await fetch(`${url}/proxies`)).json()) as Record<string, unknown>;
    expect(proxies.redis).toMatchObject({ name: 'redis', upstream: '127.0.0.1:6379', enabled: true, toxics: [] });
    const res = await fetch(`${url}/proxies/redis/toxics`, {
      method: 'POST',
      body: JSON.stringify({ type: 'latency', attributes: { latency: 5 } }),
    });
    expect(res.status).toBe(200);
    await fetch(`${url}/proxies/redis`, { method: 'DELETE' });
    stop();
    expect(await done).toBe(0);
    const lines = text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'proxy added',
        'toxic added',
        'proxy removed',
        'toxiproxy listening',
        'toxiproxy stopped',
      ]),
    );
  });

  it('refuses a non-loopback --listen and a bad -config file with exit 64', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toxiproxy-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '[{"name": "x", "upstream": "10.1.2.3:80"}]');
    const garbled = join(dir, 'garbled.json');
    writeFileSync(garbled, '[{');
    for (const args of [
      ['--listen', '0.0.0.0:0'],
      ['--config', bad],
      ['--config', garbled],
      ['--config', join(dir, 'none')],
    ]) {
      const { io: cliIo, text } = io();
      expect(await toxiproxyCommand(['--listen', '127.0.0.1:0', ...args], cliIo), args.join(' ')).toBe(64);
      expect(text()).toMatch(/^switchyard toxiproxy: /);
    }
  });
});
