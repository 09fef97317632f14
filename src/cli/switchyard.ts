/**
 * `switchyard`, the entry point of the long-running roles: `switchyard namerd` (the central
 * dtab service) and `switchyard router` (the per-pod proxy). The help lists nothing the command
 * cannot do. Like namectl's, `main` takes its arguments and
 * streams so tests can run it in-process.
 */
import type { Options } from './args.js';
import { exampleAppCommand } from './example-app-command.js';
import type { CliIo } from './io.js';
import { namerdCommand } from './namerd-command.js';
import { peerCommand } from './peer-command.js';
import { quickstartCommand } from './quickstart-command.js';
import { registryCommand } from './registry-command.js';
import { routerCommand } from './router-command.js';
import { runCli } from './run.js';
import { trafficCommand } from './traffic-command.js';
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
    if (command === 'namerd') return namerdCommand(rest, io);
    if (command === 'registry') return registryCommand(rest, io);
    if (command === 'peer') return peerCommand(rest, io);
    if (command === 'traffic') return trafficCommand(rest, io);
    if (command === 'router') return routerCommand(rest, io);
    if (command === 'quickstart') return quickstartCommand(rest, io);
    if (command === 'example-app') return exampleAppCommand(rest, io);
    if (command === undefined) throw switchyardHelp.error('missing command');
    throw switchyardHelp.error(`unknown command "${command}" for "switchyard"`);
  });
}
