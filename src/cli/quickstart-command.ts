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
      --base-port N    use ports N (router), N+1 (admin), N+2 (namerd), N+3…N+6 (apps) and N+7
                       (namerd's admin) instead of 4140, 9990, 4180, 7001… and 9991; 0 lets the
                       system pick a free port for each
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
  // path (`npx namectl` outside a project that depends on switchyard would fetch some other
  // package), behind aliases so the walkthrough's commands read as written.
  const step = (name: string) => shellWord(shippedDtab(name));
  const apps = m.apps.map((a) => `  ${a.name.padEnd(16)} http://127.0.0.1:${a.port}`).join('\n');
  const web = m.apps.find((a) => a.name === 'web');
  const call = `--url ${m.routerUrl} --grpc proto.GenSvc/Gen --data '{"text":"gob","limit":1}'`;
  return `
switchyard quickstart is up.

  router           ${m.routerUrl}      (gRPC named by service under /grpc, HTTP by Host; admin ${m.adminUrl})
  namerd           ${m.namerdUrl}      (namespace "default" ${m.created ? `loaded from ${dtab}` : 'kept from the last run'}; admin ${m.namerdAdminUrl})
${apps}
  endpoints        ${m.disco}/<service>  (io.l5d.fs files, mounted at /#/io.l5d.k8s)
  state            ${dir}

The walkthrough, in a shell:
  export GOB_HOST=127.0.0.1:${web?.port} NAMERCTL_BASE_URL=${m.namerdUrl}
  alias namectl=${shellWord(shippedBin('namectl'))} switchyard=${shellWord(shippedBin('switchyard'))}

  curl "$GOB_HOST/gob?text=gob&limit=10"
  curl -H 'l5d-dtab: /srv/gen => /srv/gen-growthhack' "$GOB_HOST/gob?text=gob&limit=10"    # staging
  namectl dtab get default
  namectl dtab update default ${step('canary-5.dtab')}       # 1 call in 20 to gen-growthhack
  switchyard traffic ${call} --requests 2000 --track-header x-version
  namectl dtab update default ${step('canary-20.dtab')}      # 1 in 5
  namectl dtab update default ${step('canary-50.dtab')}      # 1 in 2
  namectl dtab update default ${step('cutover-with-fallback.dtab')}
  switchyard traffic ${call} --qps 200 --duration 30s --track-header x-version &
  rm ${shellWord(`${m.disco}/gen-growthhack`)}       # gen-growthhack gone: calls fall back to gen, none fail
  namectl dtab history default
  namectl dtab rollback default 1
  curl '${m.adminUrl}/delegator.json?path=/grpc/proto.GenSvc'    # how a gen call binds now

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
        ? { router: 0, admin: 0, namerd: 0, namerdAdmin: 0, apps: 0 }
        : { router: base, admin: base + 1, namerd: base + 2, apps: base + 3, namerdAdmin: base + 7 };
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
