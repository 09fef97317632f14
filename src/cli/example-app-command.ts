/**
 * `switchyard example-app NAME`: one of the walkthrough's apps (word, gen, gen-growthhack, web)
 * on its own, so a cluster can run each as its own Deployment from the switchyard image
 * (k8s/, docs/kubernetes.md). The quickstart runs the same code, all in one process on loopback.
 */

import { hostPort, Problems } from '../config/validation.js';
import { type App, startGen, startWeb, startWord } from '../quickstart/example-apps.js';
import { routerTarget } from '../quickstart/gob/via-router.js';
import { ExitCode, type Options } from './args.js';
import type { CliIo } from './io.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const exampleAppHelp = new UsageText(
  'switchyard example-app',
  `switchyard example-app: run one of the walkthrough's example apps.

Usage:
  switchyard example-app NAME [flags]

Apps:
  word            gRPC proto.WordSvc: GetWord answers a random word
  gen             gRPC proto.GenSvc: Gen streams a text back N times ("gob gob gob"),
                  with x-version: gen
  gen-growthhack  the new gen: "gob <3 k8s" per line, with x-version: gen-growthhack
  web             HTTP/1.1 front end: GET /gob?text=gob&limit=10 calls word and gen through
                  the router over h2c, passing l5d-ctx-* and l5d-dtab on; GET / says more

The gRPC services are those of proto/gob.proto, shipped in the package. word, gen and
gen-growthhack also answer a plain HTTP/1.1 GET on their port with their version, for
readiness probes and for routers that name them by Host.

Flags:
      --listen HOST:PORT   where the app listens (default 127.0.0.1:8080; 0.0.0.0:8080 in a pod)
      --router URL         the router web calls through, http://HOST:PORT (web only;
                           default http://127.0.0.1:4140)
      --fail-rate R        gen and gen-growthhack only: fail this share of calls, 0-1
                           (gRPC UNAVAILABLE, HTTP 503; exact: 0.1 is every tenth call)
  -h, --help               help for example-app

Examples:
  switchyard example-app gen --listen 0.0.0.0:8080
  switchyard example-app web --listen 0.0.0.0:8080 --router http://127.0.0.1:4140
  switchyard example-app gen-growthhack --fail-rate 0.1
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  listen: { type: 'string' },
  router: { type: 'string' },
  'fail-rate': { type: 'string' },
};

const NAMES = ['word', 'gen', 'gen-growthhack', 'web'] as const;

export async function exampleAppCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = exampleAppHelp.parse(args, options);
  if (values.help === true) return exampleAppHelp.print(io);
  const name = positionals[0];
  if (positionals.length !== 1 || !NAMES.includes(name as (typeof NAMES)[number])) {
    throw exampleAppHelp.error(`give one app name: ${NAMES.join(', ')}`);
  }
  const problems = new Problems();
  const listen = hostPort((values.listen as string | undefined) ?? '127.0.0.1:8080', 'listen', problems);
  const router = (values.router as string | undefined) ?? 'http://127.0.0.1:4140';
  try {
    routerTarget(router);
  } catch (e) {
    problems.add('router', (e as Error).message);
  }
  if (values.router !== undefined && name !== 'web') problems.add('router', 'only web calls through a router');
  const failText = values['fail-rate'] as string | undefined;
  const failRate =
    failText === undefined ? 0 : /^(0(\.\d{1,9})?|1(\.0{1,9})?|\.\d{1,9})$/.test(failText) ? Number(failText) : NaN;
  if (Number.isNaN(failRate))
    problems.add('fail-rate', `must be a number from 0 to 1, got ${JSON.stringify(failText)}`);
  if (failText !== undefined && name !== 'gen' && name !== 'gen-growthhack') {
    problems.add('fail-rate', 'only gen and gen-growthhack can fail on purpose');
  }
  if (!problems.ok || listen === undefined) {
    io.stderr.write(`switchyard example-app: ${problems.error().message}\n`);
    return ExitCode.usage;
  }
  let app: App;
  try {
    app =
      name === 'word'
        ? await startWord(listen.port, listen.host)
        : name === 'web'
          ? await startWeb(listen.port, router, listen.host)
          : await startGen(listen.port, name as 'gen' | 'gen-growthhack', listen.host, { failRate });
  } catch (e) {
    io.stderr.write(`switchyard example-app: ${(e as Error).message}\n`);
    return ExitCode.failure;
  }
  io.stderr.write(`${name} listening on ${listen.host}:${app.port}\n`);
  await stopSignal();
  await app.close();
  return ExitCode.ok;
}
