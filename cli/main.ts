/**
 * `wcs-autoscaler` — the operator CLI. Every failure ends here: {@link explainError} turns it
 * into one line and an exit code (0 ok, 1 invariant broke, 2 usage or input, 3 AWS or
 * environment).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { EXIT_CODES_HELP, explainError, type ErrorContext } from './errors.ts';
import { integerOption, numberOption } from './options.ts';
import { generateTraceCommand } from '../sim/trace/file.ts';
import { FAULT_DESCRIPTIONS, FAULT_KINDS } from '../sim/runtime/fault-plan.ts';
import { runSimulateCommand } from './simulate-command.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const AWS_HELP = `
AWS: region from --region, else AWS_REGION or the profile; credentials from the SDK's chain
(AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, SSO, instance role).`;

const program = new Command()
  .name('wcs-autoscaler')
  .description('Event-driven autoscaler for Flashphoner WCS media servers on AWS: operator tools and the embedded runtime')
  .version(version, '-V, --version', 'print the version (from package.json)')
  .showHelpAfterError()
  // Throw instead of exiting, so that every failure gets the CLI's exit codes (below).
  .exitOverride()
  .addHelpText('after', `\n${EXIT_CODES_HELP}`);

const simulateCommand = program
  .command('simulate')
  .description('replay a trace through the real Lambda handlers against in-process DynamoDB and a simulated fleet, in virtual time')
  .requiredOption('--trace <file>', 'JSON Lines trace (see docs/cli.md: trace format); invalid lines are listed on stderr and skipped, a trace with no valid line fails')
  .option('--config <file>', 'JSON configuration (pools, event source); defaults apply when absent')
  .option('--seed <n>', 'seed of every random choice (integer)', integerOption('--seed', 0, 2 ** 32), 1)
  .option('--days <n>', 'replay only the first N days of the trace (fractions allowed)', numberOption('--days', 0.001, 3660))
  .option('--launch-failure-rate <p>', 'probability an offering lacks capacity on a launch', numberOption('--launch-failure-rate', 0, 1), 0)
  .option('--stop-after-ms <ms>', 'simulated EC2: from StopInstances to stopped for a warm-pool stop (default 60000; see docs/cli.md: simulated warm pool)', integerOption('--stop-after-ms', 0, 3_600_000))
  .option('--hibernate-write-mibps <n>', 'simulated EC2: RAM written per second by a hibernation, added to the stop time (default 125, gp3 baseline)', numberOption('--hibernate-write-mibps', 1, 10_000))
  .option('--faults <rate>', `inject every kind of fault at this rate (${FAULT_KINDS.join(', ')}); --fault-<kind> sets one kind`, numberOption('--faults', 0, 1))
  .option('--report <file.html>', 'write a self-contained HTML report with charts (checked writable before the run)')
  .option('--json', 'print exactly one JSON object (the summary) on stdout; trace errors still go to stderr')
  .option('--verbose', "show the functions' logs")
  .addHelpText('after', `\nExits 1 when an invariant broke (overbooked, leaked capacity, orphan instances, unanswered rooms, or active rooms at the end other than the trace implies).\n\n${EXIT_CODES_HELP}`)
  .action(async (opts) => {
    process.exitCode = await runSimulateCommand(opts);
  });
for (const kind of FAULT_KINDS) simulateCommand.option(`--fault-${kind} <rate>`, FAULT_DESCRIPTIONS[kind], numberOption(`--fault-${kind}`, 0, 1));

program
  .command('generate-trace')
  .description('write a seeded, realistic demand trace (see samples/README.md)')
  .requiredOption('--out <file>', 'where to write the JSON Lines trace')
  .option('--seed <n>', 'seed (integer)', integerOption('--seed', 0, 2 ** 32), 42)
  .option('--days <n>', 'whole days, starting on a Monday', integerOption('--days', 1, 366), 7)
  .option(
    '--peak <n>',
    'target peak of concurrent meeting rooms on the busiest weekday (default 250); the webinar ' +
      'flash crowd (300 rooms, first Monday 15:00) and the surveillance rooms come on top, and the ' +
      'realised peak varies by chance (the printed peakConcurrentWeight is in capacity units, all rooms)',
    integerOption('--peak', 1, 100_000),
  )
  .option('--no-hints', 'leave out lifetime hints (kind, expectedDurationMs) and RoomScheduled lines: the trace as generated before hints')
  .addHelpText('after', `\n${EXIT_CODES_HELP}`)
  .action(async (opts) => {
    const summary = await generateTraceCommand({ out: opts.out, seed: opts.seed, days: opts.days, peak: opts.peak, hints: opts.hints });
    console.log(JSON.stringify(summary, null, 2));
  });

program
  .command('render-bootstrap')
  .description("print a pool's node user-data exactly as the launch path passes it to RunInstances (offline)")
  .requiredOption('--pool <name>', 'pool name (an unknown name lists the configured pools)')
  .option('--config <file>', 'JSON configuration (pools); defaults apply when absent')
  .option('--node-settings <file>', "JSON node settings of the pool (image, ports, secrets…); defaults apply when absent")
  .option('--fleet <name>', 'fleet name', 'default')
  .option('--region <region>', 'AWS region (default: AWS_REGION, else eu-central-1)')
  .option('--config-parameter <name>', 'SSM name of the config parameter (default: /wcs-autoscaler/<fleet>/config)')
  .option('--event-bus <name>', 'event bus name (default: wcs-autoscaler-<fleet>)')
  .addHelpText('after', `\n${EXIT_CODES_HELP}`)
  .action(async (opts) => {
    // Imported when used: it loads the functions' logger, which must not be built before
    // `simulate` sets the logging environment (or its logs would go to the JSON output).
    const { renderBootstrapCommand } = await import('./render-bootstrap.ts');
    process.stdout.write(await renderBootstrapCommand(opts));
  });

for (const action of ['drain', 'undrain'] as const) {
  program
    .command(`${action} <node>`)
    .description(
      action === 'drain'
        ? 'stop placing rooms on a node (its rooms stay; the sweep terminates it once idle)'
        : 'return a draining node to service (a node drained for a fault needs --force)',
    )
    .option('--table <name>', 'the fleet table (default: env FLEET_TABLE)')
    .option('--region <region>', 'AWS region (default: the SDK\'s)')
    .option('--event-bus <name>', 'publish NodeDraining to this bus (default: env EVENT_BUS_NAME; none: not published)')
    .option('--endpoint <url>', 'DynamoDB endpoint (a local DynamoDB)')
    .option('--force', 'undrain even a node drained for a fault')
    .addHelpText('after', `\nPrints the outcome as JSON; a refusal (no such node, wrong state) exits 2.\n${AWS_HELP}\n\n${EXIT_CODES_HELP}`)
    .action(async (nodeId: string, opts) => {
      const { runDrainCommand } = await import('./drain-command.ts');
      const { outcome, exitCode } = await runDrainCommand(action, nodeId, opts);
      console.log(JSON.stringify(outcome));
      process.exitCode = exitCode;
    });
}

program
  .command('status')
  .description('show the nodes, rooms, free capacity and queue of a deployment\'s pools (reads only)')
  .option('--table <name>', 'the fleet table (default: env FLEET_TABLE)')
  .option('--pool <name...>', 'pools to show (default: default)')
  .option('--region <region>', 'AWS region (default: the SDK\'s)')
  .option('--endpoint <url>', 'DynamoDB endpoint (a local DynamoDB)')
  .option('--json', 'print exactly one JSON object')
  .addHelpText('after', `${AWS_HELP}\n\n${EXIT_CODES_HELP}`)
  .action(async (opts) => {
    const { runStatusCommand } = await import('./status-command.ts');
    process.stdout.write(await runStatusCommand(opts));
  });

// The running command's options, so that an error message can name the option at fault.
let context: ErrorContext = {};
program.hook('preAction', (_program, command) => {
  context = { options: command.opts() };
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const { exitCode, message } = explainError(e, context);
  if (message) console.error(`wcs-autoscaler: ${message}`);
  process.exitCode = exitCode;
}
