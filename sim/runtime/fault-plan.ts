/**
 * The kinds of fault `simulate --faults` injects, each also on by its own flag
 * (`--fault-<kind> <rate>`), and what each rate means. The runbook per kind is in
 * docs/reliability.md.
 *
 * @module
 */

/** Every kind of fault the simulator injects. */
export const FAULT_KINDS = [
  'crash',
  'redelivery',
  'capacity',
  'start-capacity',
  'instance-loss',
  'ddb-throttle',
  'delivery-delay',
  'lambda-throttle',
  'ec2-throttle',
  'unreachable',
] as const;

/** One kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A probability (0–1) per kind. */
export type FaultRates = Readonly<Record<FaultKind, number>>;

/** What a rate of each kind means (CLI help and docs). */
export const FAULT_DESCRIPTIONS: Readonly<Record<FaultKind, string>> = {
  crash: 'each invocation crashes after one of its first 6 writes (retried as Lambda retries)',
  redelivery: 'EventBridge delivers each trace event a second time, up to a minute later',
  capacity: 'each offering lacks capacity on a launch (InsufficientInstanceCapacity)',
  'start-capacity': 'each stopped warm-pool node lacks capacity on a start (InsufficientInstanceCapacity): it stays stopped',
  'instance-loss': 'each launched instance is lost within 3 h of booting (half of them without an EC2 event)',
  'ddb-throttle':
    'each DynamoDB request attempt is throttled (ProvisionedThroughputExceededException / ThrottlingException); a call fails when all 3 of the SDK attempts are (rate^3)',
  'delivery-delay': 'EventBridge delivers an event to its function 1 to 5 minutes late',
  'lambda-throttle': 'Lambda throttles an asynchronous invocation (429): retried from 1 s, doubling to 5 min, for up to 6 h of event age, then the DLQ',
  'ec2-throttle': 'a RunInstances, TerminateInstances, StartInstances or StopInstances call fails with RequestLimitExceeded after the SDK retries',
  unreachable:
    'each launched instance stops answering within 3 h of booting, with no EC2 event (still running): its EC2 status-check alarm (2 of 2 minutes) sends node-events an ALARM',
};

/**
 * The rate of every kind: `each[kind]` when given, else `all` (the `--faults` rate), else 0.
 *
 * @throws {RangeError} for a rate outside 0–1
 */
export function faultRates(all: number | undefined, each: Partial<Record<FaultKind, number | undefined>> = {}): FaultRates {
  const rates = Object.fromEntries(FAULT_KINDS.map((k) => [k, each[k] ?? all ?? 0])) as Record<FaultKind, number>;
  for (const [k, r] of Object.entries(rates)) if (!(r >= 0 && r <= 1)) throw new RangeError(`fault rate of ${k} must be within 0–1, got ${r}`);
  return rates;
}

/** Whether any kind is on. */
export function anyFault(rates: FaultRates): boolean {
  return FAULT_KINDS.some((k) => rates[k] > 0);
}

/** Attempts the AWS SDK makes before a throttled call fails (standard retry mode). */
export const SDK_MAX_ATTEMPTS = 3;
