/**
 * Lambda packages and cold starts: each function's asset built exactly as the stack builds it
 * (`buildLambdaAsset` of infra/bundling.ts: esbuild ESM with code splitting, minify, node22,
 * every dependency inlined except `@aws-sdk/*`, which the nodejs22.x runtime provides), started
 * in fresh Node processes with the stack's runtime environment (`LAMBDA_RUNTIME_ENVIRONMENT`:
 * `NODE_OPTIONS=--enable-source-maps`, the assets' external source maps) plus what Lambda sets.
 *
 * Measured, interleaved run by run so the machine's load falls alike on every figure:
 * - the reference: a fresh process importing only `@aws-sdk/client-dynamodb` +
 *   `@aws-sdk/lib-dynamodb` — the floor of any function that keeps its state in DynamoDB;
 * - each function's cold import (`index.mjs` and its static chunks; the others load on first use), median of
 *   {@link IMPORT_RUNS} fresh processes, wall and CPU time, each as a ratio to the reference;
 * - room-events' first invocations in fresh processes against local fakes (dynalite for the fleet
 *   and idempotency tables, a fake AWS endpoint on 127.0.0.1 for EventBridge PutEvents, EC2
 *   RunInstances, the Elastic IP quota check before a scale-out (Service Quotas GetServiceQuota,
 *   EC2 DescribeAddresses / DescribeAccountAttributes / DescribeInstances) and the Parameters and
 *   Secrets extension): a RoomCreated placed without scaling
 *   out (then three warm ones in the same process, for the warm median), a RoomCreated that
 *   queues and scales out (loads the EC2 chunk, RunInstances in the same invocation), and the
 *   first placement of a sampled invocation (loads the tracer chunk).
 *
 * The SDK modules load from this repository's `node_modules` (same versions as pinned).
 * Figures are ms of this machine under its load; the ratios are what to compare.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Table from 'cli-table3';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { fleetTableCreateInput, idempotencyTableCreateInput } from '../shared/adapters/dynamodb/fleet-table.ts';
import { createTable, startLocalDynamoDb, type LocalDynamoDb } from '../sim/adapters/local-dynamodb.ts';
import { bootstrapParameterNames, encodeTemplate } from '../shared/bootstrap/parameters.ts';
import { buildLambdaAsset, LAMBDA_ENTRY_FILE, LAMBDA_RUNTIME_ENVIRONMENT } from '../infra/bundling.ts';

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL('./cold-start-probe.mjs', import.meta.url));

/** The functions, by entry folder. */
export const FUNCTIONS = ['room-events', 'node-events', 'sweep'] as const;
/** Fresh processes per measured figure. */
export const IMPORT_RUNS = 5;
/** The reference: what any function keeping its state in DynamoDB must import. */
export const REFERENCE_MODULES = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'] as const;
/** Targets of issue 17 (bench figures, not test assertions). */
export const TARGETS = { importRatio: 1.5, firstInvocationFactor: 1.5, bundleBytes: 300 * 1024 } as const;

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Medians of several fresh-process imports. */
export interface ImportFigures {
  /** Median wall time of the import, ms. */
  readonly wallMs: number;
  /** Median CPU time (user + system, all threads) of the import, ms: less sensitive to other load. */
  readonly cpuMs: number;
  /** Every run's wall time, ms. */
  readonly wallRuns: readonly number[];
}

/** One function's package. */
export interface BundleRow {
  readonly fn: string;
  /** Bytes a cold start imports: `index.mjs` and the chunks it imports statically. */
  readonly bytes: number;
  /** Bytes of the chunks only dynamic imports reach (EventBridge, EC2, CloudWatch, SQS adapters, tracer, …). */
  readonly lazyBytes: number;
  /** Chunks that import an `@aws-sdk/*` client only by dynamic import, e.g. `client-ec2`. */
  readonly lazyClients: readonly string[];
  readonly import: ImportFigures;
  /** `import.wallMs / reference.wallMs`. */
  readonly wallRatio: number;
  /** `import.cpuMs / reference.cpuMs`. */
  readonly cpuRatio: number;
  /** The largest contributors to what a cold start imports: package (or source folder) and bytes. */
  readonly largest: readonly { readonly module: string; readonly bytes: number }[];
}

/** room-events' first invocations (fresh processes), medians. */
export interface FirstInvocationFigures {
  /** Cold import of the handler in these processes, ms (median). */
  readonly importMs: number;
  /** First RoomCreated placed without scale-out, ms. */
  readonly firstPlacementMs: number;
  /** Warm RoomCreated placements in the same processes, ms (median of 3 per process, then of processes). */
  readonly warmPlacementMs: number;
  /** CPU time of the first placement, ms (this process only: dynalite and the fakes run in the bench's). */
  readonly firstPlacementCpuMs: number;
  /** CPU time of a warm placement, ms. */
  readonly warmPlacementCpuMs: number;
  /**
   * `firstPlacementMs / warmPlacementMs`. The target "first placement after a cold start within
   * 1.5 × a warm one plus that import" (import + first ≤ 1.5 × warm + import) is this ≤ 1.5.
   */
  readonly firstToWarm: number;
  /** First RoomCreated that queued and scaled out (EC2 chunk loaded, RunInstances in the invocation), ms. */
  readonly firstScaleOutMs: number;
  /** RunInstances calls the fake EC2 received per scale-out process (1 expected). */
  readonly runInstancesPerScaleOut: number;
  /** First placement of a sampled invocation (tracer chunk loaded), ms. */
  readonly firstSampledPlacementMs: number;
}

/** Everything this module measures. */
export interface ColdStartFigures {
  readonly reference: ImportFigures & { readonly modules: readonly string[] };
  readonly rows: readonly BundleRow[];
  readonly firstInvocation: FirstInvocationFigures;
  /** 1-minute load average of the machine before and after, and its cores. */
  readonly load: { readonly before: number; readonly after: number; readonly cores: number };
  readonly runs: number;
}

/** `node_modules/<pkg>/…` → `<pkg>` (scoped: `@scope/pkg`); other paths → their first two folders. */
function moduleOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? (m[1] as string) : path.split('/').slice(0, 2).join('/');
}

interface ProbeResult {
  readonly importMs: number;
  readonly importCpuMs: number;
  readonly invocations: readonly { ms: number; cpuMs: number; kind?: string }[];
}

async function probe(specifiers: readonly string[], env: Record<string, string>, events?: readonly unknown[]): Promise<ProbeResult> {
  const args = [PROBE, specifiers.join(','), ...(events ? [JSON.stringify(events)] : [])];
  const { stdout } = await run(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 16 * 1024 * 1024 });
  const line = stdout.split('\n').find((l) => l.startsWith('@@result '));
  if (!line) throw new Error(`cold-start probe printed no result: ${stdout.slice(-500)}`);
  return JSON.parse(line.slice('@@result '.length)) as ProbeResult;
}

// --- fake AWS endpoint -----------------------------------------------------------------------

interface FakeAws {
  readonly endpoint: string;
  readonly port: number;
  readonly calls: Map<string, number>;
  readonly parameters: Map<string, string>;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The fake account's Elastic IP quota (Service Quotas `L-0263D0A3` and EC2 `vpc-max-elastic-ips`):
 * the AWS default of 5 per Region would let the scale-out probe launch 2 nodes of 2 containers;
 * a fleet that runs an autoscaler has it raised — 100 keeps the check from limiting the probe.
 */
const FAKE_ELASTIC_IP_QUOTA = 100;

/**
 * EventBridge PutEvents (JSON 1.1), Service Quotas GetServiceQuota (JSON 1.1), EC2 RunInstances,
 * DescribeAddresses, DescribeAccountAttributes and DescribeInstances (query/XML) and the
 * extension's GET. Any other call is counted as unexpected and fails the bench.
 */
async function startFakeAws(): Promise<FakeAws> {
  const calls = new Map<string, number>();
  const parameters = new Map<string, string>();
  const count = (op: string) => calls.set(op, (calls.get(op) ?? 0) + 1);
  let instance = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/systemsmanager/parameters/get') {
        count('GetParameter');
        const name = url.searchParams.get('name') ?? '';
        const value = parameters.get(name);
        if (value === undefined) {
          res.writeHead(400).end(`ParameterNotFound: ${name}`);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Parameter: { Name: name, Type: 'String', Value: value, Version: 1 } }));
        return;
      }
      const target = req.headers['x-amz-target'];
      if (target === 'AWSEvents.PutEvents') {
        count('PutEvents');
        const entries = (JSON.parse(text) as { Entries: unknown[] }).Entries;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `ev-${i}` })) }));
        return;
      }
      if (target === 'ServiceQuotasV20190624.GetServiceQuota') {
        count('GetServiceQuota');
        const { ServiceCode, QuotaCode } = JSON.parse(text) as { ServiceCode: string; QuotaCode: string };
        res
          .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify({ Quota: { ServiceCode, QuotaCode, QuotaName: 'EC2-VPC Elastic IPs', Value: FAKE_ELASTIC_IP_QUOTA, Unit: 'None', Adjustable: true, GlobalQuota: false } }));
        return;
      }
      const form = new URLSearchParams(text);
      const xml = (action: string, inner: string) =>
        res.writeHead(200, { 'content-type': 'text/xml' }).end(`<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>bench</requestId>${inner}</${action}Response>`);
      // The Elastic IP quota check before a scale-out of an 'elastic-ip' pool (shared/app/addresses.ts):
      // the account has no addresses yet and no fleet instances (the scale-out probe starts from an empty table).
      if (form.get('Action') === 'DescribeAddresses') {
        count('DescribeAddresses');
        xml('DescribeAddresses', '<addressesSet/>');
        return;
      }
      if (form.get('Action') === 'DescribeAccountAttributes') {
        count('DescribeAccountAttributes');
        xml('DescribeAccountAttributes', `<accountAttributeSet><item><attributeName>vpc-max-elastic-ips</attributeName><attributeValueSet><item><attributeValue>${FAKE_ELASTIC_IP_QUOTA}</attributeValue></item></attributeValueSet></item></accountAttributeSet>`);
        return;
      }
      if (form.get('Action') === 'DescribeInstances') {
        count('DescribeInstances');
        xml('DescribeInstances', '<reservationSet/>');
        return;
      }
      if (form.get('Action') === 'RunInstances') {
        count('RunInstances');
        const n = Number(form.get('MaxCount') ?? '1');
        const items = Array.from({ length: n }, () => {
          instance += 1;
          const id = `i-${instance.toString(16).padStart(17, '0')}`;
          return `<item><instanceId>${id}</instanceId><instanceType>${form.get('InstanceType')}</instanceType><subnetId>${form.get('NetworkInterface.1.SubnetId')}</subnetId><placement><availabilityZone>us-east-1a</availabilityZone></placement><instanceState><code>0</code><name>pending</name></instanceState></item>`;
        });
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(`<RunInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>bench</requestId><reservationId>r-1</reservationId><ownerId>123456789012</ownerId><instancesSet>${items.join('')}</instancesSet></RunInstancesResponse>`);
        return;
      }
      count(`unexpected ${String(target ?? form.get('Action') ?? url.pathname)}`);
      res.writeHead(400).end('{"__type":"UnknownOperationException"}');
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    calls,
    parameters,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

// --- fleet state -----------------------------------------------------------------------------

const BENCH_POOL = 'default';
const CONFIG_PARAMETER = '/wcs-autoscaler/bench/config';

/** `nodes` ready nodes of 2 empty containers × 10 units (the items `markReady` writes) and the pool summary. */
async function seedReadyNodes(db: LocalDynamoDb, table: string, nodes: number): Promise<void> {
  const now = Date.now();
  const items: Record<string, unknown>[] = [];
  for (let n = 0; n < nodes; n++) {
    const nodeId = `i-seed${n.toString(16).padStart(12, '0')}`;
    items.push({
      pk: `NODE#${nodeId}`, sk: 'NODE', type: 'node', nodeId, pool: BENCH_POOL, state: 'ready', instanceType: 'c6i.2xlarge',
      launchedAt: now - 3_600_000, readyAt: now - 3_500_000, decisionId: 'seed', containersPerNode: 2, capacityPerContainer: 10,
      hot: false, npk: `POOL#${BENCH_POOL}`, nsk: `${nodeId}#NODE`,
    });
    for (let c = 0; c < 2; c++) {
      const sk = `C#${String(c).padStart(2, '0')}`;
      items.push({
        pk: `NODE#${nodeId}`, sk, type: 'container', nodeId, pool: BENCH_POOL, idx: c, capacity: 10, used: 0, free: 10, accepting: true,
        rooms: {}, privateIp: `10.0.0.${n * 2 + c + 10}`, gpk: `POOL#${BENCH_POOL}`, npk: `POOL#${BENCH_POOL}`, nsk: `${nodeId}#${sk}`,
      });
    }
  }
  items.push({ pk: `POOL#${BENCH_POOL}`, sk: 'SUMMARY', readyFree: nodes * 20, pendingCapacity: 0, queuedWeight: 0, liveNodes: nodes });
  const doc = DynamoDBDocumentClient.from(db.client);
  for (let i = 0; i < items.length; i += 25) {
    let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}

function roomCreated(id: string, roomId: string): Record<string, unknown> {
  return {
    version: '0', id, 'detail-type': 'RoomCreated', source: 'app.rooms', account: '123456789012', time: new Date().toISOString(),
    region: 'us-east-1', resources: [], detail: { roomId, weight: 1, pool: BENCH_POOL },
  };
}

/**
 * Build every function's asset and measure sizes, cold imports and room-events' first invocations.
 *
 * @param root - repository root
 * @param runs - fresh processes per figure
 * @param onProgress - called with a line of progress
 */
export async function measureColdStarts(root: string, runs = IMPORT_RUNS, onProgress: (line: string) => void = () => undefined): Promise<ColdStartFigures> {
  const loadBefore = loadavg()[0] as number;
  // Inside node_modules so the bundles' `@aws-sdk/*` imports resolve to the pinned SDK.
  const outDir = resolve(root, 'node_modules/.cache/wcs-autoscaler-bench');
  const assets = FUNCTIONS.map((fn) => {
    const result = buildLambdaAsset(root, fn, join(outDir, fn));
    const code = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.mjs'));
    const entryPath = code.find(([path]) => path.endsWith(`/${LAMBDA_ENTRY_FILE}`))?.[0];
    if (!entryPath) throw new Error(`${fn}: esbuild wrote no ${LAMBDA_ENTRY_FILE}`);
    // What a cold start loads: index.mjs and the chunks it imports statically, transitively.
    const cold = new Set([entryPath]);
    for (const queue = [entryPath]; queue.length > 0; ) {
      for (const i of result.metafile.outputs[queue.pop() as string]?.imports ?? []) {
        if (i.kind === 'import-statement' && !i.external && !cold.has(i.path)) {
          cold.add(i.path);
          queue.push(i.path);
        }
      }
    }
    const coldCode = code.filter(([path]) => cold.has(path));
    const chunks = code.filter(([path]) => !cold.has(path));
    const byModule = new Map<string, number>();
    for (const [, o] of coldCode) for (const [path, i] of Object.entries(o.inputs)) byModule.set(moduleOf(path), (byModule.get(moduleOf(path)) ?? 0) + i.bytesInOutput);
    const lazyClients = [...new Set(chunks.flatMap(([, o]) => o.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/client-')).map((i) => i.path.replace('@aws-sdk/', ''))))].sort();
    return {
      fn,
      url: pathToFileURL(join(outDir, fn, LAMBDA_ENTRY_FILE)).href,
      bytes: coldCode.reduce((s, [, o]) => s + o.bytes, 0),
      lazyBytes: chunks.reduce((s, [, o]) => s + o.bytes, 0),
      lazyClients,
      largest: [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([module, bytes]) => ({ module, bytes })),
    };
  });
  onProgress('cold starts: assets built');

  const db = await startLocalDynamoDb();
  const fake = await startFakeAws();
  fake.parameters.set(CONFIG_PARAMETER, JSON.stringify({ pools: [{ name: BENCH_POOL, maxNodes: 50 }] }));
  // The real node bootstrap, stored as the stack stores it.
  fake.parameters.set(bootstrapParameterNames(CONFIG_PARAMETER).template, encodeTemplate(await readFile(resolve(root, 'infra/bootstrap/wcs-node.sh.tpl'), 'utf8')));
  const lambdaEnv = (fn: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ...LAMBDA_RUNTIME_ENVIRONMENT,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: fn,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: join(outDir, fn),
    _HANDLER: 'index.handler',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
    ...extra,
  });
  let tables = 0;
  const invokeEnv = async (fn: string, seedNodes: number, extra: Record<string, string> = {}) => {
    tables += 1;
    const fleetTable = await createTable(db.client, fleetTableCreateInput(`bench-fleet-${tables}`));
    const idempotencyTable = await createTable(db.client, idempotencyTableCreateInput(`bench-idem-${tables}`));
    if (seedNodes > 0) await seedReadyNodes(db, fleetTable, seedNodes);
    return lambdaEnv(fn, {
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: fake.endpoint,
      AWS_ENDPOINT_URL_EC2: fake.endpoint,
      // Nothing may leave the machine: the quota check asks Service Quotas first.
      AWS_ENDPOINT_URL_SERVICE_QUOTAS: fake.endpoint,
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(fake.port),
      FLEET_TABLE: fleetTable,
      IDEMPOTENCY_TABLE: idempotencyTable,
      EVENT_BUS_NAME: 'wcs-autoscaler-bench',
      CONFIG_PARAMETER,
      LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
      SUBNET_IDS: 'subnet-0123456789abcdef0',
      SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
      FLEET_NAME: 'bench',
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-dlq',
      ...extra,
    });
  };

  const reference: ProbeResult[] = [];
  const imports = new Map<string, ProbeResult[]>(FUNCTIONS.map((fn) => [fn, []]));
  const placed: ProbeResult[] = [];
  const scaledOut: ProbeResult[] = [];
  const sampled: ProbeResult[] = [];
  const runInstances: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      reference.push(await probe(REFERENCE_MODULES, lambdaEnv('reference')));
      for (const a of assets) (imports.get(a.fn) as ProbeResult[]).push(await probe([a.url], lambdaEnv(a.fn)));
      const room = assets[0] as (typeof assets)[number];
      const events = [0, 1, 2, 3].map((i) => roomCreated(`bench-${r}-p${i}`, `room-${r}-p${i}`));
      placed.push(await probe([room.url], await invokeEnv(room.fn, 20), events));
      const before = fake.calls.get('RunInstances') ?? 0;
      scaledOut.push(await probe([room.url], await invokeEnv(room.fn, 0), [roomCreated(`bench-${r}-s`, `room-${r}-s`)]));
      runInstances.push((fake.calls.get('RunInstances') ?? 0) - before);
      const traceId = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
      sampled.push(await probe([room.url], await invokeEnv(room.fn, 20, { _X_AMZN_TRACE_ID: traceId }), [roomCreated(`bench-${r}-t`, `room-${r}-t`)]));
      onProgress(`cold starts: run ${r + 1}/${runs}`);
    }
  } finally {
    await fake.close();
    await db.close();
  }
  const unexpected = [...fake.calls.keys()].filter((k) => k.startsWith('unexpected'));
  if (unexpected.length > 0) throw new Error(`cold-start bench: the functions called ${unexpected.join(', ')}`);
  for (const p of [...placed, ...sampled]) if (p.invocations.some((i) => i.kind !== 'placed')) throw new Error(`cold-start bench: a placement was not placed: ${JSON.stringify(p.invocations)}`);
  for (const p of scaledOut) if (p.invocations[0]?.kind !== 'queued') throw new Error(`cold-start bench: the scale-out room was not queued: ${JSON.stringify(p.invocations)}`);

  const figures = (ps: readonly ProbeResult[]): ImportFigures => ({
    wallMs: median(ps.map((p) => p.importMs)),
    cpuMs: median(ps.map((p) => p.importCpuMs)),
    wallRuns: ps.map((p) => p.importMs),
  });
  const ref = figures(reference);
  const rows: BundleRow[] = assets.map((a) => {
    const f = figures(imports.get(a.fn) as ProbeResult[]);
    return { fn: a.fn, bytes: a.bytes, lazyBytes: a.lazyBytes, lazyClients: a.lazyClients, import: f, wallRatio: f.wallMs / ref.wallMs, cpuRatio: f.cpuMs / ref.cpuMs, largest: a.largest };
  });
  const importMs = median(placed.map((p) => p.importMs));
  const firstPlacementMs = median(placed.map((p) => (p.invocations[0] as { ms: number }).ms));
  const warmPlacementMs = median(placed.map((p) => median(p.invocations.slice(1).map((i) => i.ms))));
  return {
    reference: { ...ref, modules: REFERENCE_MODULES },
    rows,
    firstInvocation: {
      importMs,
      firstPlacementMs,
      warmPlacementMs,
      firstToWarm: firstPlacementMs / warmPlacementMs,
      firstPlacementCpuMs: median(placed.map((p) => (p.invocations[0] as { cpuMs: number }).cpuMs)),
      warmPlacementCpuMs: median(placed.map((p) => median(p.invocations.slice(1).map((i) => i.cpuMs)))),
      firstScaleOutMs: median(scaledOut.map((p) => (p.invocations[0] as { ms: number }).ms)),
      runInstancesPerScaleOut: median(runInstances),
      firstSampledPlacementMs: median(sampled.map((p) => (p.invocations[0] as { ms: number }).ms)),
    },
    load: { before: loadBefore, after: loadavg()[0] as number, cores: cpus().length },
    runs,
  };
}

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** The cold-start figures as the bench prints them: one table, the first invocations, the targets. */
export function coldStartReport(cs: ColdStartFigures): string {
  const ref = cs.reference;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const bt = new Table({ head: ['function', 'cold-start code KB', 'lazy chunks KB (clients)', 'import ms (median)', '× reference', 'import CPU ms', '× reference CPU', 'runs ms', 'largest parts of the cold-start code (KB)'] });
  bt.push(['reference: ' + ref.modules.join(' + '), '—', '—', fmt(ref.wallMs), '1.00', fmt(ref.cpuMs), '1.00', ref.wallRuns.map((x) => x.toFixed(0)).join(' '), '—']);
  for (const b of cs.rows) {
    bt.push([
      b.fn,
      fmt(b.bytes / 1024),
      `${fmt(b.lazyBytes / 1024)} (${b.lazyClients.map((c) => c.replace('client-', '')).join(', ')})`,
      fmt(b.import.wallMs),
      fmt(b.wallRatio, 2),
      fmt(b.import.cpuMs),
      fmt(b.cpuRatio, 2),
      b.import.wallRuns.map((x) => x.toFixed(0)).join(' '),
      b.largest.map((l) => `${l.module} ${fmt(l.bytes / 1024, 0)}`).join(', '),
    ]);
  }
  const fi = cs.firstInvocation;
  const worstWall = Math.max(...cs.rows.map((r) => r.wallRatio));
  const worstCpu = Math.max(...cs.rows.map((r) => r.cpuRatio));
  const biggest = Math.max(...cs.rows.map((r) => r.bytes));
  return (
    `\nLambda packages and cold starts — the stack's assets (infra/bundling.ts: esbuild ESM, code splitting, minify, node22, @aws-sdk/* from the runtime), its environment (NODE_OPTIONS=${LAMBDA_RUNTIME_ENVIRONMENT.NODE_OPTIONS ?? ''}), fresh Node ${process.version} per import, median of ${cs.runs}, interleaved with the reference; load average ${fmt(cs.load.before, 1)} → ${fmt(cs.load.after, 1)} on ${cs.load.cores} cores\n${bt.toString()}\n` +
      `room-events first invocations (fresh process each, dynalite + fake EventBridge/EC2/Service Quotas/parameters extension on 127.0.0.1): import ${fmt(fi.importMs)} ms; first placement ${fmt(fi.firstPlacementMs)} ms vs warm ${fmt(fi.warmPlacementMs)} ms (${fmt(fi.firstToWarm, 2)} ×), CPU ${fmt(fi.firstPlacementCpuMs)} vs ${fmt(fi.warmPlacementCpuMs)} ms; ` +
      `first RoomCreated that scales out ${fmt(fi.firstScaleOutMs)} ms (RunInstances per process: ${fi.runInstancesPerScaleOut}); first sampled placement (tracer loads) ${fmt(fi.firstSampledPlacementMs)} ms\n` +
      `Targets: import ≤ ${TARGETS.importRatio} × reference — ${mark(worstWall <= TARGETS.importRatio)} by wall time (worst ${fmt(worstWall, 2)} ×), ${mark(worstCpu <= TARGETS.importRatio)} by CPU time (worst ${fmt(worstCpu, 2)} ×); ` +
      `first placement ≤ ${TARGETS.firstInvocationFactor} × warm (+ import) — ${mark(fi.firstToWarm <= TARGETS.firstInvocationFactor)}; bundles ≤ ${TARGETS.bundleBytes / 1024} KB — ${mark(biggest <= TARGETS.bundleBytes)} (largest ${fmt(biggest / 1024)} KB)\n`
  );
}
