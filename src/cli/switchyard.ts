/**
 * `switchyard`, the entry point of the long-running roles: `switchyard namerd` (the central
 * dtab service) and `switchyard router` (the per-pod proxy). The help lists nothing the command
 * cannot do. Like namectl's, `main` takes its arguments and
 * streams so tests can run it in-process.
 */
import type { Options } from './args.js';
import type { CliIo } from './io.js';
import { runCli } from './run.js';
import { UsageText } from './usage-text.js';
import { packageVersion } from './version.js';

export type { CliIo } from './io.js';

export const switchyardHelp = new UsageText(
  'switchyard',
  `switchyard: a service-mesh routing layer driven by delegation tables (dtabs).

Usage:
  switchyard [flags] <command>

Commands:
  namerd       run the central dtab service (namerd's /api/1)
  registry     run a registry: peers, epochs, label-scoped traffic targets, result lockers
  peer         run a traffic generator that takes its targets from a registry
  traffic      send HTTP traffic to a URL and report counts, latency and splits
  router       run the per-pod routing proxy
  quickstart   a local mesh on loopback: namerd, a router and the walkthrough's apps (npm start)
  example-app  run one of the walkthrough's apps (word, gen, gen-growthhack, web), e.g. in a pod
  canary       run a canary spec as a long-lived controller (namectl canary runs one by hand)
  toxiproxy    a Toxiproxy server: TCP proxies on loopback that inject faults (docs/chaos.md)
  chaos        run a chaos experiment: hypothesis, faults, hypothesis, rollback (docs/experiments.md)

Flags:
  -h, --help      help for switchyard
      --version   print switchyard's version

Use "switchyard <command> --help" for more about a command. To manage dtabs, use
namectl ("namectl --help").
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

/** Runs switchyard with `argv` (without node and the script); resolves to the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli('switchyard', io, async () => {
    const { values, command, rest } = switchyardHelp.split(argv, options);
    if (values.help === true) return switchyardHelp.print(io);
    if (values.version === true) {
      io.stdout.write(`switchyard ${await packageVersion()}\n`);
      return 0;
    }
    // Each role loads only its own modules: a router sidecar should not carry ioredis (namerd's and
    // the registry's store) in its memory, nor namerd the proxy.
    switch (command) {
      case 'namerd':
        return (await import('./namerd-command.js')).namerdCommand(rest, io);
      case 'registry':
        return (await import('./registry-command.js')).registryCommand(rest, io);
      case 'peer':
        return (await import('./peer-command.js')).peerCommand(rest, io);
      case 'traffic':
        return (await import('./traffic-command.js')).trafficCommand(rest, io);
      case 'router':
        return (await import('./router-command.js')).routerCommand(rest, io);
      case 'quickstart':
        return (await import('./quickstart-command.js')).quickstartCommand(rest, io);
      case 'example-app':
        return (await import('./example-app-command.js')).exampleAppCommand(rest, io);
      case 'canary':
        return (await import('./canary-command.js')).switchyardCanaryCommand(rest, io);
      case 'toxiproxy':
        return (await import('./toxiproxy-command.js')).toxiproxyCommand(rest, io);
      case 'chaos':
        return (await import('./chaos-command.js')).chaosCommand(rest, io);
    }
    if (command === undefined) throw switchyardHelp.error('missing command');
    throw switchyardHelp.error(`unknown command "${command}" for "switchyard"`);
  });
}
