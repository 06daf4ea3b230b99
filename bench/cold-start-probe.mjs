// A fresh Node process of the cold-start bench (bench/bundles.ts): import the modules named in
// argv[2] (comma-separated file URLs or package names) and time it; then, when argv[3] holds a
// JSON array of events, invoke the first module's `handler` with each in turn and time every
// invocation (wall and CPU time). Prints one line `@@result <json>` (the handlers' own logs also go to stdout, as
// in Lambda). Plain JavaScript, run with `node` alone: no loader may add to what it measures.
import { performance } from 'node:perf_hooks';

const [specifiers, eventsJson] = process.argv.slice(2);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const modules = [];
for (const s of specifiers.split(',')) modules.push(await import(s));
const importMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const importCpuMs = (cpu.user + cpu.system) / 1000;

const invocations = [];
if (eventsJson) {
  const fn = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
  const events = JSON.parse(eventsJson);
  for (const [i, event] of events.entries()) {
    const context = {
      functionName: fn,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${fn}`,
      memoryLimitInMB: '512',
      awsRequestId: `bench-request-${i}`,
      logGroupName: `/aws/lambda/${fn}`,
      logStreamName: 'bench',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 30_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const result = await modules[0].handler(event, context);
    const ms = performance.now() - start;
    const c = process.cpuUsage(cpuStart);
    invocations.push({ ms, cpuMs: (c.user + c.system) / 1000, kind: result?.kind });
  }
}
process.stdout.write(`\n@@result ${JSON.stringify({ importMs, importCpuMs, invocations })}\n`);
// Open keep-alive sockets would hold the process; Lambda would freeze it here instead.
process.exit(0);
