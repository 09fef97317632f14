#!/usr/bin/env node
// The image's HEALTHCHECK, in node because the slim image has no curl: healthy when the role this
// container runs answers HTTP on its own port. The role and its address come from the container's
// main process (`switchyard <role> --listen HOST:PORT …`: pid 1, or SWITCHYARD_HEALTH_PID), else
// the role's default port; SWITCHYARD_HEALTH_URL names the URL outright (for addresses set in a
// config file).
import { readFileSync } from 'node:fs';

/** What each role answers on, by the flag that moves it and its default address. */
const ROLES = {
  namerd: { flag: '--listen', address: '127.0.0.1:4180', path: '/api/1/dtabs' },
  router: { flag: '--admin', address: '127.0.0.1:9990', path: '/admin/ping' },
  registry: { flag: '--listen', address: '127.0.0.1:4190', path: '/health' },
  'example-app': { flag: '--listen', address: '127.0.0.1:8080', path: '/' },
};

function mainArgs() {
  try {
    return readFileSync(`/proc/${process.env.SWITCHYARD_HEALTH_PID ?? 1}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function healthUrl() {
  if (process.env.SWITCHYARD_HEALTH_URL) return process.env.SWITCHYARD_HEALTH_URL;
  const argv = mainArgs();
  const at = argv.findIndex((a) => a.endsWith('switchyard.js') || a.endsWith('/switchyard'));
  const role = ROLES[argv[at + 1]];
  if (at < 0 || role === undefined) return undefined;
  const given = argv.find((_a, i) => argv[i - 1] === role.flag) ?? argv.find((a) => a.startsWith(`${role.flag}=`));
  const address = given?.replace(`${role.flag}=`, '') ?? role.address;
  // A wildcard listen address is reached on loopback.
  const local = address.replace(/^(0\.0\.0\.0|\[::\]|::):/, '127.0.0.1:');
  return `http://${local}${role.path}`;
}

const url = healthUrl();
// A role with no port of its own to ask (peer, traffic, namectl): running is all there is to check.
if (url === undefined) process.exit(0);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  await res.body?.cancel();
  if (res.status >= 500) {
    console.error(`${url} answered ${res.status}`);
    process.exit(1);
  }
} catch (e) {
  console.error(`${url}: ${e.cause?.message ?? e.message}`);
  process.exit(1);
}
