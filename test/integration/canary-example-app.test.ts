/**
 * `switchyard example-app gen|gen-growthhack --fail-rate R`: a version that fails on purpose, so a
 * canary has something to catch. The share is exact (every tenth call for 0.1), over gRPC
 * (UNAVAILABLE) and HTTP (503) alike; the flag is refused where it means nothing.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type GenClient, gob } from '../../src/quickstart/gob/proto.js';
import { spawnBin } from '../helpers/cli-run.js';
import { repoRoot } from '../helpers/repo.js';

describe('switchyard example-app --fail-rate', () => {
  it('gen-growthhack --fail-rate 0.1 fails exactly 1 call in 10, with UNAVAILABLE and 503', async () => {
    const child = spawn(process.execPath, [
      path.join(repoRoot, 'bin/switchyard.js'),
      'example-app',
      'gen-growthhack',
      '--listen',
      '127.0.0.1:0',
      '--fail-rate',
      '0.1',
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error(`exited early: ${text}`)));
      });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await fetch(`http://127.0.0.1:${port}/`)).status);
      expect(statuses.filter((s) => s === 503)).toHaveLength(2);
      expect(statuses[9]).toBe(503);
      const client = new (gob().GenSvc)(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as GenClient;
      const codes: number[] = [];
      for (let i = 0; i < 30; i++) {
        codes.push(
          await new Promise<number>((resolve) => {
            const call = client.Gen({ text: 'gob', limit: 1 }, new grpc.Metadata());
            call.on('data', () => {});
            call.on('error', () => {});
            call.on('status', (s: grpc.StatusObject) => resolve(s.code));
          }),
        );
      }
      client.close();
      expect(codes.filter((c) => c === grpc.status.UNAVAILABLE)).toHaveLength(3);
      expect(codes.filter((c) => c === grpc.status.OK)).toHaveLength(27);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a rate outside 0-1 and the flag on apps that cannot fail on purpose', async () => {
    const high = await spawnBin('switchyard.js', ['example-app', 'gen', '--fail-rate', '1.5']);
    expect(high.code).toBe(64);
    expect(high.stderr).toContain('fail-rate: must be a number from 0 to 1, got "1.5"');
    const word = await spawnBin('switchyard.js', ['example-app', 'word', '--fail-rate', '0.1']);
    expect(word.code).toBe(64);
    expect(word.stderr).toContain('only gen and gen-growthhack can fail on purpose');
  });
});
