/**
 * What the serverless control plane would cost per month for a trace's load, from the counts of
 * our policy's replay (invocations, fleet store calls, events published) and AWS list prices in
 * us-east-1. Compared with the ~250 USD/month of a load-balancer instance (the seed article:
 * "a horizontal load balancer instance also costs approximately the same, i.e. $250/month").
 *
 * Prices (us-east-1, on-demand list prices):
 * - Lambda (aws.amazon.com/lambda/pricing): 0.20 USD per 1M requests; 0.0000133334 USD per
 *   GB-second on arm64 (first 6 billion GB-s tier). Free tier ignored.
 * - DynamoDB on-demand (aws.amazon.com/dynamodb/pricing/on-demand, after the November 2024
 *   reduction): 0.625 USD per 1M write request units, 0.125 USD per 1M read request units.
 *   Storage (< 1 GB) ignored.
 * - EventBridge (aws.amazon.com/eventbridge/pricing): 1.00 USD per 1M custom events put
 *   (the autoscaler's outbound events, and the applications' RoomCreated / RoomReleased, which
 *   the applications pay for but are counted here); AWS service events (EC2 state changes) on the
 *   default bus are free; EventBridge Scheduler 1.00 USD per 1M invocations (14M free per month,
 *   ignored here).
 *
 * Model (assumptions, not measurements — the stack's function settings and real latencies are
 * inputs here):
 * - functions: arm64, 512 MB (the stack's defaults, infra/constructs/autoscaler-function.ts);
 * - billed duration per invocation = 10 ms of compute + 6 ms per DynamoDB request it makes
 *   (in-Region DynamoDB latency is single-digit ms) + 20 ms per PutEvents call;
 * - each room-events / node-events invocation also writes its Powertools idempotency record
 *   twice (put INPROGRESS, update COMPLETED): 2 WRU, 2 DynamoDB requests;
 * - request units per store method follow the DynamoDB adapter's calls and item sizes, with
 *   global secondary index writes (an update that moves an index key costs 2 more writes per
 *   index, a projected attribute change 1): see {@link STORE_METHOD_COST}.
 *
 * @module
 */
import type { ControlPlaneCounts } from './policy-replay.ts';

/** List prices, USD, us-east-1. */
export const PRICES = {
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecondArm: 0.0000133334,
  ddbPerMillionWru: 0.625,
  ddbPerMillionRru: 0.125,
  eventBridgePerMillionEvents: 1.0,
  schedulerPerMillionInvocations: 1.0,
} as const;

/** Assumed function memory, GB, and the duration model, ms. */
export const LAMBDA_MODEL = { memoryGb: 0.5, baseMs: 10, perDdbRequestMs: 6, perPutEventsMs: 20 } as const;

/** The load-balancer instance of the seed article, USD/month. */
export const LOAD_BALANCER_USD_PER_MONTH = 250;

/** Days in an average month (365.25 / 12). */
export const DAYS_PER_MONTH = 30.4375;

/**
 * DynamoDB requests and request units per fleet store call (see the DynamoDB adapter):
 * `[requests, RRU, WRU]`. Reads on a GSI are eventually consistent (0.5 RRU per 4 KB).
 */
export const STORE_METHOD_COST: Readonly<Record<string, readonly [number, number, number]>> = {
  findCandidates: [1, 1, 0], // Query on `placement`, up to ~24 items × ~0.3 KB
  beginRoom: [1, 0, 2], // room item + its queue-index entry
  setTarget: [1, 0, 1],
  claimCapacity: [1, 0, 4], // container ~1 KB: base 1 + `placement` sort key moves (2) + `pool-nodes` (1)
  releaseCapacity: [1, 0, 4],
  confirmPlaced: [1, 0, 2],
  markQueued: [1, 0, 2],
  claimQueued: [1, 0, 2],
  listQueued: [1, 0.5, 0],
  listPlacing: [1, 0.5, 0],
  releaseRoom: [1, 0, 2],
  getRoom: [1, 1, 0],
  getRooms: [1, 1, 0],
  listRooms: [1, 1, 0],
  adjustSummary: [7, 5, 2], // at most 2 ADDs ≤ 1 KB (counter shard, minute bucket; a release 1), then getSummary (S = 4)
  getSummary: [5, 5, 0], // S + 1 consistent Queries, each < 4 KB
  correctSummary: [3, 1, 5], // legacy GetItem, 1 ADD, one BatchWriteItem deleting the aged minute on S shards
  getNode: [1, 1, 0],
  createNode: [1, 0, 2],
  transitionNode: [2, 1, 2],
  markReady: [7, 2, 12],
  setAccepting: [3, 1, 6],
  setHot: [1, 0, 2],
  setEmptySince: [1, 0, 2],
  roomsOnNode: [1, 1, 0],
  getArrivalHistory: [1, 3.5, 0], // ~25 KB history item, eventually consistent
  recordArrivalHistory: [1, 0, 25], // the same item, updated once a minute
  scheduleRoom: [1, 0, 2], // announcement item + its `queue`-index entry
  listScheduled: [1, 0.5, 0], // Query on `queue` (SCHED#<pool>), once per pool per sweep
  removeScheduled: [1, 0, 2], // BatchWriteItem, per call (usually one batch of ≤ 25)
};

/** A cost line. */
export interface CostLine {
  readonly item: string;
  /** Per month. */
  readonly quantity: number;
  readonly unit: string;
  readonly usdPerMonth: number;
}

/**
 * Monthly control-plane cost from a replay's counts.
 *
 * @param counts - what the replay counted
 * @param listNodesRru - RRU of one `listNodes` (the pool's items / 4 KB × 0.5), from the run's mean fleet size
 */
export function controlPlaneCost(counts: ControlPlaneCounts, listNodesRru: number): CostLine[] {
  const scale = (DAYS_PER_MONTH * 86_400_000) / counts.durationMs;
  let requests = 0;
  let rru = 0;
  let wru = 0;
  for (const [method, calls] of Object.entries(counts.storeCalls)) {
    const [req, r, w] = method === 'listNodes' ? [1, listNodesRru, 0] : (STORE_METHOD_COST[method] ?? [1, 1, 1]);
    requests += calls * req;
    rru += calls * r;
    wru += calls * w;
  }
  const idempotent = counts.invocations['room-events'] + counts.invocations['node-events'];
  requests += idempotent * 2;
  wru += idempotent * 2;
  const invocations = idempotent + counts.invocations.sweep;
  const putEventsCalls = Math.min(counts.published, invocations); // at most one batched call per invocation
  const billedMs = invocations * LAMBDA_MODEL.baseMs + requests * LAMBDA_MODEL.perDdbRequestMs + putEventsCalls * LAMBDA_MODEL.perPutEventsMs;
  const gbSeconds = (billedMs / 1000) * LAMBDA_MODEL.memoryGb;
  const customEvents = counts.published + counts.appEvents;
  return [
    { item: 'Lambda requests', quantity: invocations * scale, unit: 'invocations', usdPerMonth: ((invocations * scale) / 1e6) * PRICES.lambdaPerMillionRequests },
    { item: 'Lambda compute (arm64, 512 MB)', quantity: gbSeconds * scale, unit: 'GB-s', usdPerMonth: gbSeconds * scale * PRICES.lambdaPerGbSecondArm },
    { item: 'DynamoDB writes', quantity: wru * scale, unit: 'WRU', usdPerMonth: ((wru * scale) / 1e6) * PRICES.ddbPerMillionWru },
    { item: 'DynamoDB reads', quantity: rru * scale, unit: 'RRU', usdPerMonth: ((rru * scale) / 1e6) * PRICES.ddbPerMillionRru },
    { item: 'EventBridge custom events', quantity: customEvents * scale, unit: 'events', usdPerMonth: ((customEvents * scale) / 1e6) * PRICES.eventBridgePerMillionEvents },
    {
      item: 'EventBridge Scheduler (sweep)',
      quantity: counts.invocations.sweep * scale,
      unit: 'invocations',
      usdPerMonth: ((counts.invocations.sweep * scale) / 1e6) * PRICES.schedulerPerMillionInvocations,
    },
  ];
}
