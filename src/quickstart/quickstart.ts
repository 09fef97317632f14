/**
 * The local mesh `npm start` brings up: namerd with a durable file store under `.switchyard/`,
 * the walkthrough's apps, their endpoints written as io.l5d.fs files, and a router that takes its
 * dtab from namerd. The fs namer is mounted where the Kubernetes namer sits in a cluster
 * (`/#/io.l5d.k8s`), with files at `disco/<namespace>/<port>/<service>`, so the very dtabs in
 * `dtabs/` route the same way here and on Kubernetes. A second start reuses the stored dtabs.
 *
 * The router is set up as linkerd was for the walkthrough, on one port: a gRPC call is named by
 * its service under /grpc (`/proto.GenSvc/Gen` is /grpc/proto.GenSvc), any other request by its
 * Host (`Host: web` is /grpc/web), so the walkthrough's 4-rule dtab routes both.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { namerdConfig } from '../config/namerd-config.js';
import { routerConfig } from '../config/router-config.js';
import { Dtab } from '../dtab/dtab.js';
import { runNamerd } from '../namerd/server.js';
import { Registry } from '../registry/registry.js';
import { registerRegistryRoutes } from '../registry/registry-routes.js';
import { startRouter } from '../router/router.js';
import type { Logger } from '../telemetry/logger.js';
import { type App, startGen, startWeb, startWord } from './example-apps.js';

export interface QuickstartOptions {
  /** Where state lives (default `.switchyard`). */
  readonly dir: string;
  /** The dtab loaded into namerd's `default` namespace on first start. */
  readonly defaultDtab: string;
  readonly ports: {
    readonly router: number;
    readonly admin: number;
    readonly namerd: number;
    readonly namerdAdmin: number;
    readonly apps: number;
  };
  readonly logger: Logger;
}

export const QUICKSTART_PORTS = { router: 4140, admin: 9990, namerd: 4180, namerdAdmin: 9991, apps: 7001 } as const;

export interface RunningMesh {
  readonly routerUrl: string;
  readonly adminUrl: string;
  readonly namerdUrl: string;
  readonly namerdAdminUrl: string;
  readonly apps: readonly App[];
  readonly created: boolean;
  readonly disco: string;
  close(): Promise<void>;
}

/** The Kubernetes port name the walkthrough's dtab uses: `/srv => /#/io.l5d.k8s/default/grpc`. */
const NAMESPACE = 'default';
const PORT_NAME = 'grpc';

export async function startMesh(o: QuickstartOptions): Promise<RunningMesh> {
  const dir = resolve(o.dir);
  const disco = join(dir, 'disco');
  const services = join(disco, NAMESPACE, PORT_NAME);
  mkdirSync(services, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const namerd = await runNamerd(
      namerdConfig(null, {
        listen: `127.0.0.1:${o.ports.namerd}`,
        admin: `127.0.0.1:${o.ports.namerdAdmin}`,
        store: `file:${join(dir, 'dtabs')}`,
        logLevel: 'warn',
      }),
      o.logger,
    );
    closers.push(() => namerd.close());
    const created = await loadDefaultDtab(namerd.url, o.defaultDtab);

    // Port 0 (every port picked by the system): the apps take free ports, and web learns the
    // router's URL once the router listens, after the apps' endpoint files exist.
    const appPort = (i: number) => (o.ports.apps === 0 ? 0 : o.ports.apps + i);
    let routerUrl = `http://127.0.0.1:${o.ports.router}`;
    const apps = [
      await startWord(appPort(0)),
      await startGen(appPort(1), 'gen'),
      await startGen(appPort(2), 'gen-growthhack'),
      await startWeb(appPort(3), () => routerUrl),
    ];
    for (const app of apps) {
      closers.push(() => app.close());
      writeFileSync(join(services, app.name), `127.0.0.1 ${app.port}\n`);
      closers.push(async () => rmSync(join(services, app.name), { force: true }));
    }

    // The router's admin port serves a registry, as `switchyard router` does: peers join with --registry.
    const registry = await Registry.open({ logger: o.logger });
    closers.push(() => registry.close());
    const router = await startRouter(
      routerConfig(
        [
          `listen: 127.0.0.1:${o.ports.router}`,
          `admin: 127.0.0.1:${o.ports.admin}`,
          'drainGraceMs: 0',
          'dstPrefix: /grpc',
          'identifier:',
          '  - kind: io.l5d.header.path',
          '    segments: 1',
          '    grpcOnly: true',
          '  - kind: io.l5d.header.token',
          'namerd:',
          `  url: ${namerd.url}`,
          `  namespace: ${NAMESPACE}`,
          `  cacheFile: ${join(dir, 'router-dtab-cache.json')}`,
          'namers:',
          '  - kind: io.l5d.fs',
          `    rootDir: ${disco}`,
          '    prefix: /io.l5d.k8s',
          'log:',
          '  level: warn',
        ].join('\n'),
      ),
      o.logger,
      { admin: (app) => registerRegistryRoutes(app, { registry }) },
    );
    closers.push(() => router.close());
    routerUrl = router.url;
    return {
      routerUrl: router.url,
      adminUrl: router.adminUrl,
      namerdUrl: namerd.url,
      namerdAdminUrl: namerd.adminUrl,
      apps,
      created,
      disco: services,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Creates `default` from the file unless namerd already has it (a restart keeps what was stored). */
async function loadDefaultDtab(namerdUrl: string, file: string): Promise<boolean> {
  const text = readFileSync(file, 'utf8');
  Dtab.read(text);
  const res = await fetch(`${namerdUrl}/api/1/dtabs/${NAMESPACE}`, {
    method: 'POST',
    body: text,
    headers: { 'content-type': 'application/dtab', 'x-dtab-message': `quickstart: ${file}` },
  });
  if (res.status === 204) return true;
  if (res.status === 409) return false;
  throw new Error(`namerd refused ${file}: ${res.status} ${await res.text()}`);
}
