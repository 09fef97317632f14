/**
 * A credential plugin is somebody else's program, run as a real child process: one that hangs is
 * killed at the time limit, one that floods stdout is cut off, a missing one is named with the
 * kubeconfig's installHint, and an answer in the wrong API version or without a credential is
 * refused — each with an error naming the command. Concurrent requests share one run, and a
 * client certificate in the answer is handed on with the token.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecConfig, execCredentialSource, parseExecConfig } from '../../src/namers/k8s/exec-credential.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-exec-plugin-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const V1 = 'client.authentication.k8s.io/v1';
let scripts = 0;

/** A plugin script with this body, and the checked exec config that runs it. */
async function plugin(body: string, extra: Record<string, unknown> = {}): Promise<ExecConfig> {
  const file = join(dir, `plugin-${++scripts}.mjs`);
  await writeFile(file, `#!${process.execPath}\n${body}\n`);
  await chmod(file, 0o755);
  const config = parseExecConfig({ apiVersion: V1, command: file, ...extra }, dir);
  if (Array.isArray(config)) throw new Error(config.join('; '));
  return config;
}

const answer = (status: object, apiVersion = V1) =>
  `process.stdout.write(JSON.stringify({ apiVersion: ${JSON.stringify(apiVersion)}, kind: 'ExecCredential', status: ${JSON.stringify(status)} }));`;

const cluster = { server: 'https://127.0.0.1:6443' };

describe('exec credential plugin runs', () => {
  it('kills a plugin that hangs at the time limit, and says so', async () => {
    const config = await plugin('setInterval(() => {}, 1000);');
    const started = Date.now();
    const source = execCredentialSource(config, cluster, { timeoutMs: 500 });
    await expect(source.get()).rejects.toThrow(
      `Kubernetes credential plugin ${config.command}: gave no answer within 500 ms`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('cuts off a plugin that prints without end', async () => {
    const config = await plugin("const s = 'x'.repeat(65536); for (;;) process.stdout.write(s);");
    const source = execCredentialSource(config, cluster, { maxOutputBytes: 100_000, timeoutMs: 10_000 });
    await expect(source.get()).rejects.toThrow(/printed more than 100000 bytes/);
  });

  it('names a missing command with its install hint', async () => {
    const config = parseExecConfig(
      { apiVersion: V1, command: 'switchyard-no-such-plugin', installHint: 'Install it from your cloud’s CLI.' },
      dir,
    ) as ExecConfig;
    await expect(execCredentialSource(config, cluster).get()).rejects.toThrow(
      'Kubernetes credential plugin switchyard-no-such-plugin: command not found (Install it from your cloud’s CLI.)',
    );
  });

  it('refuses an answer in another API version, or with no credential in it', async () => {
    const other = await plugin(answer({ token: 't' }, 'client.authentication.k8s.io/v1beta1'));
    await expect(execCredentialSource(other, cluster).get()).rejects.toThrow(
      /but client.authentication.k8s.io\/v1 was asked for/,
    );
    const empty = await plugin(answer({}));
    await expect(execCredentialSource(empty, cluster).get()).rejects.toThrow(
      /neither a token nor a client certificate/,
    );
    const junk = await plugin("process.stdout.write('<html>login</html>');");
    await expect(execCredentialSource(junk, cluster).get()).rejects.toThrow(/printed no JSON ExecCredential/);
  });

  it('shares one run among concurrent requests, and hands on a client certificate', async () => {
    const count = join(dir, 'count');
    const config = await plugin(
      `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(count)}, 'x');
setTimeout(() => { ${answer({ token: 'tok', clientCertificateData: 'CERT', clientKeyData: 'KEY' })} }, 200);`,
    );
    const source = execCredentialSource(config, cluster);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => source.get()));
    expect(new Set(tokens)).toEqual(new Set(['tok']));
    expect(await readFile(count, 'utf8')).toBe('x');
    expect(source.clientCertificate?.()).toEqual({ cert: 'CERT', key: 'KEY' });
  });

  it('checks the exec block of a kubeconfig, listing every problem', () => {
    expect(parseExecConfig({ command: 7, args: 'x', env: [{ name: 'A' }], interactiveMode: 'Always' }, dir)).toEqual([
      'exec.apiVersion must be one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1, got undefined',
      'exec.command must be a non-empty string',
      'exec.args must be a list of strings',
      'exec.env must be a list of {name, value} strings',
      'exec.interactiveMode is Always, but switchyard runs the plugin without a terminal',
    ]);
    // kubectl's rule: a relative path is the kubeconfig's; a bare name is looked up on PATH.
    expect((parseExecConfig({ apiVersion: V1, command: './bin/auth' }, '/etc/kube') as ExecConfig).command).toBe(
      '/etc/kube/bin/auth',
    );
    expect((parseExecConfig({ apiVersion: V1, command: 'aws' }, '/etc/kube') as ExecConfig).command).toBe('aws');
  });
});
