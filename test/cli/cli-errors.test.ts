import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBServiceException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, explainError } from '../../cli/errors.ts';
import { runStatusCommand } from '../../cli/status-command.ts';
import { effectiveRooms } from '../../sim/trace/stats.ts';
import { formatTraceText, parseTraceText } from '../../sim/trace/file.ts';
import { stripHints } from '../../sim/trace/hints.ts';

const bin = fileURLToPath(new URL('../../bin/wcs-autoscaler.js', import.meta.url));
const SHORT = fileURLToPath(new URL('../fixtures/traces/short.jsonl', import.meta.url));

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without any AWS setting (no region, no credentials, no profile files). */
async function bareEnv(): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(tmpdir(), 'wcs-home-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') || k === 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'));
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Run the real CLI with node; never rejects. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One line on stderr, naming the cause, and no stack trace. */
function expectOneLine(outcome: Outcome, code: number, message: RegExp): void {
  expect(outcome.code).toBe(code);
  expect(outcome.stderr).toMatch(message);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
}

/** A 127.0.0.1 port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('CLI: version, help and exit codes', () => {
  it('prints the package version with --version', async () => {
    // Prepare
    const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };

    // Act
    const out = await cli(['--version']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(pkg.version);
  });

  it('documents the exit codes in --help of the program and of a command', async () => {
    // Act
    const top = await cli(['--help']);
    const status = await cli(['status', '--help']);

    // Assess
    for (const out of [top, status]) {
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/Exit codes:\n\s+0\s+ok\n\s+1\s+an invariant broke[^\n]*\n\s+2\s+usage or input error[^\n]*\n\s+3\s+AWS or environment error/);
    }
  });

  it('exits 2 for an unknown option', async () => {
    const out = await cli(['simulate', '--trace', SHORT, '--no-such-option']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("unknown option '--no-such-option'");
  });
});

describe('CLI: AWS and environment errors (status)', () => {
  it('names the missing region in one line and exits 3', async () => {
    const out = await cli(['status', '--table', 'fleet'], { ...(await bareEnv()), AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    expectOneLine(out, ExitCode.Environment, /no AWS region: pass --region or set AWS_REGION/);
  });

  it('names the missing credentials in one line and exits 3', async () => {
    const out = await cli(['status', '--table', 'fleet', '--region', 'eu-central-1'], await bareEnv());
    expectOneLine(out, ExitCode.Environment, /no AWS credentials found: set AWS_PROFILE .* or AWS_ACCESS_KEY_ID/);
  });

  it('names the unreachable endpoint in one line and exits 3', async () => {
    // Prepare
    const endpoint = `http://127.0.0.1:${await closedPort()}`;

    // Act
    const out = await cli(['status', '--table', 'fleet', '--region', 'eu-central-1', '--endpoint', endpoint], {
      ...(await bareEnv()),
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
    });

    // Assess
    expectOneLine(out, ExitCode.Environment, new RegExp(`cannot reach the endpoint ${endpoint} \\(connect ECONNREFUSED .*\\) — check --endpoint`));
  });
});

describe('Function: explainError with errors DynamoDB returns', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());
  const options = { table: 'prod-fleet', region: 'eu-west-1' };

  it('explains an unknown table with its name and region', async () => {
    // Prepare
    ddb.onAnyCommand().rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));

    // Act
    const error = await runStatusCommand(options).catch((e: unknown) => e);
    const explained = explainError(error, { options });

    // Assess
    expect(explained.exitCode).toBe(ExitCode.Environment);
    expect(explained.message).toBe(
      'table "prod-fleet" not found in eu-west-1 (Requested resource not found) — check --table (or FLEET_TABLE) and --region: the fleet table\'s name is in the stack\'s outputs',
    );
  });

  it('explains access denied with the cause and what the identity needs', async () => {
    // Prepare
    const denied = 'User: arn:aws:iam::123456789012:user/op is not authorized to perform: dynamodb:Query on resource: prod-fleet';
    // DynamoDB has no modelled AccessDeniedException: the SDK raises its service exception by that name.
    ddb.onAnyCommand().rejects(new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', message: denied, $metadata: { httpStatusCode: 400 } }));

    // Act
    const error = await runStatusCommand(options).catch((e: unknown) => e);
    const explained = explainError(error, { options });

    // Assess
    expect(explained.exitCode).toBe(ExitCode.Environment);
    expect(explained.message).toBe(`access denied in eu-west-1: ${denied} — the credentials' identity needs the operator's DynamoDB permissions on the fleet table`);
    expect(explained.message).not.toContain('\n');
  });

  it('keeps the stack of an unexpected error and exits 1', () => {
    const explained = explainError(new TypeError('x is undefined'));
    expect(explained.exitCode).toBe(ExitCode.Invariant);
    expect(explained.message).toMatch(/^unexpected error \(please report it\): TypeError: x is undefined\n\s+at /);
  });
});

describe('CLI: usage and input errors', () => {
  it.each([
    [['generate-trace', '--out', 'x.jsonl', '--days', '1.5'], /--days must be an integer from 1 to 366/],
    [['generate-trace', '--out', 'x.jsonl', '--seed', '1.7'], /--seed must be an integer from 0 to 4294967296/],
    [['generate-trace', '--out', 'x.jsonl', '--peak', '2.5'], /--peak must be an integer from 1 to 100000/],
    [['simulate', '--trace', SHORT, '--seed', '1.7'], /--seed must be an integer from 0 to 4294967296/],
    [['simulate', '--trace', SHORT, '--launch-failure-rate', '2'], /--launch-failure-rate must be a number from 0 to 1/],
  ])('refuses %j with exit 2 and names the option', async (args, message) => {
    const out = await cli(args);
    expect(out.code).toBe(ExitCode.Usage);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('says a trace path that is a directory is one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wcs-trace-dir-'));
    expectOneLine(await cli(['simulate', '--trace', dir]), ExitCode.Usage, /--trace .*: is a directory; give a JSON Lines trace file/);
  });

  it('names a missing trace file', async () => {
    expectOneLine(await cli(['simulate', '--trace', 'no-such-trace.jsonl']), ExitCode.Usage, /--trace no-such-trace\.jsonl: no such file/);
  });

  it('fails a trace whose every line is invalid, listing the lines', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-bad-trace-'));
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, 'not json\n{"t":1}\n');

    // Act
    const out = await cli(['simulate', '--trace', path, '--json']);

    // Assess
    expect(out.code).toBe(ExitCode.Usage);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('every line is invalid (2 lines); nothing to simulate');
    expect(out.stderr).toContain('line 1: invalid JSON');
    expect(out.stderr).toContain('line 2: type is required; roomId is required');
  });

  it.each([
    ['a directory', async (dir: string) => dir, /is a directory/],
    ['under a file', async (dir: string) => (await writeFile(join(dir, 'file'), ''), join(dir, 'file', 'r.html')), /a part of the path is a file, not a directory/],
  ])('refuses a --report path that is %s before the run', async (_name, reportPath, message) => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-report-bad-'));
    const report = await reportPath(dir);

    // Act
    const out = await cli(['simulate', '--trace', SHORT, '--report', report]);

    // Assess: no summary on stdout (the run never started)
    expectOneLine(out, ExitCode.Usage, new RegExp(`--report ${report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write the report there \\(.*\\)`));
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe('');
  });

  it('lists the configured pools for an unknown render-bootstrap --pool', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-pools-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ pools: [{ name: 'eu' }, { name: 'us' }], defaultPool: 'eu' }));

    // Act
    const out = await cli(['render-bootstrap', '--pool', 'x', '--config', config]);

    // Assess
    expectOneLine(out, ExitCode.Usage, /--pool: unknown pool "x"; the configuration .*config\.json has: "eu", "us"/);
  });
});

describe('CLI: simulate --json', () => {
  it('still lists invalid lines on stderr and writes --report', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-json-report-'));
    const report = join(dir, 'nested', 'r.html');

    // Act
    const out = await cli(['simulate', '--trace', SHORT, '--json', '--report', report]);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ invalidLines: 2 });
    expect(out.stderr).toContain('line 7: invalid JSON');
    expect(out.stderr).toContain('line 8: roomId may contain only');
    expect(await readFile(report, 'utf8')).toContain('<canvas');
  });
});

describe('CLI: generate-trace --peak', () => {
  it('says in its help that --peak is the busiest weekday peak of concurrent meeting rooms', async () => {
    const out = await cli(['generate-trace', '--help']);
    expect(out.stdout.replace(/\s+/g, ' ')).toContain('--peak <n> target peak of concurrent meeting rooms on the busiest weekday (default 250)');
  });

  it('writes a trace whose Tuesday peak of concurrent meeting rooms is near --peak', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-peak-'));
    const path = join(dir, 'peak.jsonl');

    // Act
    const out = await cli(['generate-trace', '--out', path, '--days', '2', '--peak', '400', '--seed', '5']);

    // Assess: meeting rooms are room-<n>; webinar and surveillance rooms are left out, as the help says
    expect(out.code).toBe(0);
    const { events } = parseTraceText(await readFile(path, 'utf8'));
    const meetings = effectiveRooms(events).intervals.filter((r) => /^room-\d+$/.test(r.roomId));
    const steps = meetings.flatMap((r) => [[r.start, 1], [r.end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let active = 0;
    let tuesdayPeak = 0;
    for (const [t, d] of steps) {
      active += d;
      if (t >= 86_400 && t < 2 * 86_400) tuesdayPeak = Math.max(tuesdayPeak, active);
    }
    expect(tuesdayPeak).toBeGreaterThan(400 * 0.85);
    expect(tuesdayPeak).toBeLessThan(400 * 1.15);
  });
});

describe('CLI: generate-trace --no-hints', () => {
  it('writes hints by default and the same trace without them under --no-hints', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-hints-'));
    const hinted = join(dir, 'hinted.jsonl');
    const plain = join(dir, 'plain.jsonl');

    // Act
    const withHints = await cli(['generate-trace', '--out', hinted, '--days', '1', '--seed', '3']);
    const without = await cli(['generate-trace', '--out', plain, '--days', '1', '--seed', '3', '--no-hints']);

    // Assess
    expect([withHints.code, without.code]).toEqual([0, 0]);
    const hintedText = await readFile(hinted, 'utf8');
    const plainText = await readFile(plain, 'utf8');
    expect(hintedText).toContain('"type":"RoomScheduled"');
    expect(plainText).not.toContain('"type":"RoomScheduled"');
    expect(plainText).not.toContain('"kind"');
    expect(formatTraceText(stripHints(parseTraceText(hintedText).events.map(({ line: _line, ...e }) => e)))).toBe(plainText);
  });
});
