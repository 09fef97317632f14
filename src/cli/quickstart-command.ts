/**
 * `switchyard quickstart` (what `npm start` runs): brings up the local mesh and prints what runs
 * where and what to try next, then stays up until Ctrl-C, when everything stops cleanly.
 */
import { resolve } from 'node:path';
import { shellWord, shippedBin, shippedDtab } from '../quickstart/package-files.js';
import { QUICKSTART_PORTS, startMesh } from '../quickstart/quickstart.js';
import { createLogger } from '../telemetry/logger.js';
import { ExitCode, type Options } from './args.js';
import type { CliIo } from './io.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const quickstartHelp = new UsageText(
  'switchyard quickstart',
  `switchyard quickstart: a local mesh on loopback (namerd, a router, the walkthrough's apps).

Usage:
  switchyard quickstart [flags]

Flags:
      --dir DIR        where state lives (default .switchyard)
      --dtab FILE      dtab loaded into namerd's default namespace on first start (default: the
                       package's own dtabs/default.dtab)
      --base-port N    use ports N (router), N+1 (admin), N+2 (namerd), N+3… (apps) instead of
                       4140, 9990, 4180 and 7001…; 0 lets the system pick a free port for each
  -h, --help           help for quickstart
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  dir: { type: 'string' },
  dtab: { type: 'string' },
  'base-port': { type: 'string' },
};

function banner(m: Awaited<ReturnType<typeof startMesh>>, dtab: string, dir: string): string {
  // Every command works from any directory: the package's own executables and dtabs by absolute
  // path (`npx namectl` outside a project that depends on switchyard would fetch some other package).
  const namectl = `${shellWord(shippedBin('namectl'))} --base-url ${m.namerdUrl}`;
  const switchyard = shellWord(shippedBin('switchyard'));
  const example = (name: string) => shellWord(shippedDtab(name));
  const apps = m.apps.map((a) => `  ${a.name.padEnd(16)} http://127.0.0.1:${a.port}`).join('\n');
  return `
switchyard quickstart is up.

  router           ${m.routerUrl}      (admin ${m.adminUrl}: /ready, /admin/metrics, /delegator.json)
  namerd           ${m.namerdUrl}      (namespace "default" ${m.created ? `loaded from ${dtab}` : 'kept from the last run'})
${apps}
  endpoints        ${m.disco}/<service>  (io.l5d.fs files, mounted at /#/io.l5d.k8s)
  state            ${dir}

Try:
  curl -H 'Host: web' '${m.routerUrl}/gob?text=gob&limit=10'
  curl -H 'Host: web' -H 'l5d-dtab: /grpc/gen => /srv/gen-growthhack' '${m.routerUrl}/gob?text=gob&limit=3'     # stage the new gen for one request
  ${namectl} dtab get default
  ${namectl} dtab update default ${example('canary-5.dtab')}     # 5% to gen-growthhack
  ${switchyard} traffic --url ${m.routerUrl}/ -H 'Host: gen' --requests 2000 --track-header x-version
  ${namectl} dtab update default ${example('cutover-with-fallback.dtab')}
  ${namectl} dtab history default
  curl '${m.adminUrl}/delegator.json?path=/svc/gen'

Ctrl-C stops everything.
`;
}

export async function quickstartCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = quickstartHelp.parse(args, options, false);
  if (values.help === true) return quickstartHelp.print(io);
  const cwd = io.cwd ?? process.cwd();
  const dir = resolve(cwd, (values.dir as string | undefined) ?? '.switchyard');
  const given = values.dtab as string | undefined;
  const dtab = given === undefined ? shippedDtab('default.dtab') : resolve(cwd, given);
  const logger = createLogger({ level: 'warn', name: 'quickstart', destination: io.stderr });
  const base = values['base-port'] === undefined ? undefined : Number(values['base-port']);
  if (base !== undefined && !(Number.isInteger(base) && base >= 0 && base < 65530)) {
    throw quickstartHelp.error(`--base-port must be a port number, got ${values['base-port']}`);
  }
  const ports =
    base === undefined
      ? QUICKSTART_PORTS
      : base === 0
        ? { router: 0, admin: 0, namerd: 0, apps: 0 }
        : { router: base, admin: base + 1, namerd: base + 2, apps: base + 3 };
  let mesh: Awaited<ReturnType<typeof startMesh>>;
  try {
    mesh = await startMesh({ dir, defaultDtab: dtab, ports, logger });
  } catch (e) {
    io.stderr.write(`switchyard quickstart: ${(e as Error).message}\n`);
    return ExitCode.failure;
  }
  io.stdout.write(banner(mesh, dtab, dir));
  await stopSignal();
  io.stdout.write('\nstopping…\n');
  await mesh.close();
  io.stdout.write('stopped.\n');
  return ExitCode.ok;
}
