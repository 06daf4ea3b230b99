/**
 * `wcs-autoscaler` — the operator CLI.
 *
 * @module
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../shared/domain/config.ts';
import { generateTraceCommand } from '../sim/trace/file.ts';
import { FAULT_DESCRIPTIONS, FAULT_KINDS } from '../sim/runtime/fault-plan.ts';
import { runSimulateCommand } from './simulate-command.ts';

function number(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
}

const program = new Command()
  .name('wcs-autoscaler')
  .description('Event-driven autoscaler for Flashphoner WCS media servers on AWS: operator tools and the embedded runtime')
  .showHelpAfterError();

const simulateCommand = program
  .command('simulate')
  .description('replay a trace through the real Lambda handlers against in-process DynamoDB and a simulated fleet, in virtual time')
  .requiredOption('--trace <file>', 'JSON Lines trace (see README: trace format)')
  .option('--config <file>', 'JSON configuration (pools, event source); defaults apply when absent')
  .option('--seed <n>', 'seed of every random choice', number('--seed', 0, 2 ** 32), 1)
  .option('--days <n>', 'replay only the first N days of the trace', number('--days', 0.001, 3660))
  .option('--launch-failure-rate <p>', 'probability an offering lacks capacity on a launch', number('--launch-failure-rate', 0, 1), 0)
  .option('--faults <rate>', `inject every kind of fault at this rate (${FAULT_KINDS.join(', ')}); --fault-<kind> sets one kind`, number('--faults', 0, 1))
  .option('--report <file.html>', 'write a self-contained HTML report with charts')
  .option('--json', 'print exactly one JSON object (the summary) on stdout')
  .option('--verbose', "show the functions' logs")
  .action(async (opts) => {
    process.exitCode = await runSimulateCommand(opts);
  });
for (const kind of FAULT_KINDS) simulateCommand.option(`--fault-${kind} <rate>`, FAULT_DESCRIPTIONS[kind], number(`--fault-${kind}`, 0, 1));

program
  .command('generate-trace')
  .description('write a seeded, realistic demand trace (see samples/README.md)')
  .requiredOption('--out <file>', 'where to write the JSON Lines trace')
  .option('--seed <n>', 'seed', number('--seed', 0, 2 ** 32), 42)
  .option('--days <n>', 'days, starting on a Monday', number('--days', 1, 366), 7)
  .option('--peak <n>', 'target weekday peak of concurrent rooms', number('--peak', 1, 100_000))
  .action(async (opts) => {
    const summary = await generateTraceCommand({ out: opts.out, seed: opts.seed, days: opts.days, peak: opts.peak });
    console.log(JSON.stringify(summary, null, 2));
  });

program
  .command('render-bootstrap')
  .description("print a pool's node user-data exactly as the launch path passes it to RunInstances (offline)")
  .requiredOption('--pool <name>', 'pool name')
  .option('--config <file>', 'JSON configuration (pools); defaults apply when absent')
  .option('--node-settings <file>', "JSON node settings of the pool (image, ports, secrets…); defaults apply when absent")
  .option('--fleet <name>', 'fleet name', 'default')
  .option('--region <region>', 'AWS region (default: AWS_REGION, else eu-central-1)')
  .option('--config-parameter <name>', 'SSM name of the config parameter (default: /wcs-autoscaler/<fleet>/config)')
  .option('--event-bus <name>', 'event bus name (default: wcs-autoscaler-<fleet>)')
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
  .action(async (opts) => {
    const { runStatusCommand } = await import('./status-command.ts');
    process.stdout.write(await runStatusCommand(opts));
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Expected failures (bad configuration, unreadable trace) get one clear line, not a stack.
  const err = e as NodeJS.ErrnoException;
  const known = err instanceof ConfigError || err.code === 'ENOENT' || err.code === 'EACCES' || err instanceof SyntaxError;
  console.error(`wcs-autoscaler: ${known ? err.message : (err.stack ?? String(err))}`);
  process.exitCode = 2;
}
