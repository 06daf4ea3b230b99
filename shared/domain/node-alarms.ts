/**
 * Which CloudWatch alarms watch one media node, as data: the node-events function creates them
 * when the node becomes ready and deletes them when it terminates; their state changes come back
 * through EventBridge. The CPU alarms mark the node hot (no new rooms) until they clear
 * (docs/design.md#scaling-policy); the status-check alarm closes it ({@link NodeAlarmAction}).
 *
 * Three kinds, all on 1-minute periods:
 * - **Instance CPU** — `AWS/EC2 CPUUtilization` (detailed monitoring is on in the launch template,
 *   so EC2 reports every minute), Average > 85 % for 3 of 3 minutes.
 * - **WCS container CPU** — the `Cpu` figure each node pushes per container (bootstrap template,
 *   `wcs-node metrics`: `docker stats` CPU %, dimensions `InstanceId`, `Container`), Maximum
 *   > 90 % of the container's cpuset for 3 of 3 minutes. Docker reports one fully used logical
 *   CPU as 100 %, so a container pinned to `0-3` saturates at 400 %: the threshold is
 *   0.9 × 100 × (logical CPUs in its cpuset). This is the alarm that sees a single hot container
 *   on a pinned node: with four 2-vCPU containers one saturated container is only 25 % of the
 *   instance, far below the instance alarm.
 * - **EC2 status check** — `AWS/EC2 StatusCheckFailed`, Maximum ≥ 1 for 2 of 2 minutes: the
 *   instance is unreachable (a failed system check: the host, its network or power; or a failed
 *   instance check: the OS stopped answering ARP, kernel panic, exhausted memory) without any EC2
 *   state change. Such a node cannot send `NodeUnhealthy` and its rooms are already lost for their
 *   participants, so node-events closes it (rooms interrupted, instance terminated, capacity
 *   replaced) rather than marking it hot. The metric is EC2's own — EC2 runs both checks every
 *   minute and reports `StatusCheckFailed` (0 passed, 1 failed: either check) at a 1-minute
 *   frequency at no charge (Amazon EC2 User Guide, "Status checks for Amazon EC2 instances",
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-system-instance-status-check.html,
 *   and "Status check metrics",
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html#status-check-metrics;
 *   the alarm as "Create CloudWatch alarms for instances that fail a status check",
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/creating_status_check_alarms.html). So it
 *   is created on every node, whatever `trustNodeMetrics` says: no node can push it. One alarm on
 *   the combined metric rather than `StatusCheckFailed_System` and `_Instance` apart: EC2's remedies
 *   differ (recover or stop-start the first, reboot the second) but ours is the same for both —
 *   a new node — and one alarm halves the PutMetricAlarm calls (a low rate quota).
 *
 * Why these figures:
 * - 85 % / 90 %: the alarm only stops new placements (rooms are never moved), so it may fire
 *   early; the margin above it is for the bursts a media server sees inside one minute (key
 *   frames, joins, simulcast layer switches) — docs/design.md#node-sizing-and-isolation: contention for cores degraded ~1 %
 *   of streams on unpinned containers, so a core set running near its limit is the degradation
 *   to avoid. The container threshold sits higher because its statistic is the Maximum of
 *   one sample per minute, not an average over the whole instance.
 * - 3 of 3 one-minute periods: one busy minute (a webinar's flash crowd of joins) does not take
 *   a node out; three consecutive ones do, within ~4 minutes — a tenth of an average call
 *   (38 min, docs/design.md#realistic-demand), so most of a hot node's rooms start after it stops accepting more.
 * - Status check 2 of 2 one-minute periods: one failed check can be a blip (a host's network
 *   flapping for seconds) and closing a node interrupts every room on it, so one minute is not
 *   enough; but the rooms on an unreachable node are lost from the first minute and new ones keep
 *   landing on it until it is closed, so no third minute: ALARM 2–3 minutes after the instance
 *   stops answering (plus CloudWatch's evaluation delay). ≥ 1 on the Maximum: any failed check in
 *   the minute counts (the metric is 0 or 1).
 * - Missing data is not breaching: a terminated instance, or a metrics timer that skipped a
 *   minute, must clear a hot mark rather than hold it (node-events ignores INSUFFICIENT_DATA,
 *   so an alarm that went there from ALARM would keep the node hot forever). Stalled nodes are
 *   the bootstrap guard's job (`NodeUnhealthy`). A stopped warm-pool node has no status checks
 *   (EC2 checks running instances only): its status alarm must not fire while it is stopped.
 *
 * Names: `<fleet prefix><instance id>-<key>`; the adapter adds the prefix
 * (`wcs-autoscaler-<fleet>-node-`, which routes the state changes to node-events) and
 * `instanceIdOfAlarm` reads the instance id back from the name.
 *
 * @module
 */

/** Where an alarm's metric comes from: EC2 itself, or what the node pushes (the fleet's namespace). */
export type NodeAlarmSource = 'ec2' | 'node';

/** How an alarm compares its statistic with its threshold (CloudWatch's `ComparisonOperator`). */
export type NodeAlarmComparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';

/**
 * What node-events does when the alarm goes to ALARM: `hot` — no new rooms until it is OK again
 * (CPU); `close` — the node is unreachable: its rooms are interrupted, the instance terminated and
 * its capacity replaced (status check; shared/app/nodes.ts `onAlarm`).
 */
export type NodeAlarmAction = 'hot' | 'close';

/** One alarm on one node, without the fleet's name prefix. */
export interface NodeAlarmSpec {
  /** Suffix of the alarm name after `<prefix><instance id>-`, e.g. `cpu`, `wcs-0-cpu`. */
  readonly key: string;
  /** Human description (shown in the console and the state-change event). */
  readonly description: string;
  /** `ec2` → namespace `AWS/EC2`; `node` → the fleet's metrics namespace. */
  readonly source: NodeAlarmSource;
  readonly metricName: string;
  /** Metric dimensions, exactly as published. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Average' | 'Maximum';
  /** Seconds. */
  readonly periodSeconds: number;
  /** N of "M of N". */
  readonly evaluationPeriods: number;
  /** M of "M of N". */
  readonly datapointsToAlarm: number;
  /**
   * In the metric's unit: percent for CPU (of one logical CPU for container CPU, as Docker reports
   * it); a count for the status check (`StatusCheckFailed` is 0 or 1).
   */
  readonly threshold: number;
  readonly comparison: NodeAlarmComparison;
  readonly treatMissingData: 'notBreaching';
  /** What its ALARM state does to the node. */
  readonly action: NodeAlarmAction;
}

/** Thresholds of {@link nodeAlarmSpecs}; the module documentation gives the reasoning. */
export interface NodeAlarmPolicy {
  /** Instance CPUUtilization above which a minute counts as hot, percent. */
  readonly instanceCpuPercent: number;
  /** Container CPU above which a minute counts as hot, fraction of its cpuset (0–1). */
  readonly containerCpuFraction: number;
  /** Seconds (60: EC2 detailed monitoring and the node's default metrics interval). */
  readonly periodSeconds: number;
  /** Consecutive hot periods that raise the CPU alarms. */
  readonly periods: number;
  /** Consecutive failed status checks (one-minute periods) that raise the status-check alarm. */
  readonly statusCheckPeriods: number;
  /**
   * Also alarm on what the node pushes (container CPU). Off unless the configuration trusts node
   * metrics (`AutoscalerConfig.trustNodeMetrics`): `cloudwatch:PutMetricData` can be limited to
   * a namespace but not to dimension values, so any node may push `Cpu` with another node's
   * `InstanceId` and mark it hot; `AWS/EC2` metrics come from EC2 alone (docs/security.md).
   */
  readonly nodeMetrics: boolean;
}

/**
 * The default policy: instance > 85 %, container > 90 % of its cpuset, 3 of 3 one-minute periods;
 * status check failed 2 of 2 one-minute periods. `nodeMetrics` is on here; node-events turns it
 * off unless the configuration trusts node metrics.
 */
export const DEFAULT_NODE_ALARM_POLICY: NodeAlarmPolicy = {
  instanceCpuPercent: 85,
  containerCpuFraction: 0.9,
  periodSeconds: 60,
  periods: 3,
  statusCheckPeriods: 2,
  nodeMetrics: true,
};

/** Key of the instance CPU alarm. */
export const INSTANCE_CPU_ALARM_KEY = 'cpu';

/** Key of the EC2 status-check alarm. */
export const STATUS_CHECK_ALARM_KEY = 'status';

/** Reason of the `RoomInterrupted` and `NodeTerminated` events of a node closed by its status-check alarm. */
export const UNREACHABLE_REASON = 'unreachable: EC2 status check failed';

/**
 * What the ALARM state of the node alarm keyed `key` does ({@link NodeAlarmAction}).
 *
 * @returns `close` for the status check, `hot` for the CPU alarms, undefined for a key no node alarm has
 */
export function nodeAlarmAction(key: string): NodeAlarmAction | undefined {
  if (key === STATUS_CHECK_ALARM_KEY) return 'close';
  if (key === INSTANCE_CPU_ALARM_KEY || /^wcs-\d+-cpu$/.test(key)) return 'hot';
  return undefined;
}

/** Key of container `index`'s CPU alarm. */
export function containerCpuAlarmKey(index: number): string {
  return `wcs-${index}-cpu`;
}

/**
 * Logical CPUs in a Docker cpuset (`"0-3"`, `"0,4,1,5"`, `"2-3,10-11"`).
 *
 * @returns the count, or undefined when the text is not a cpuset
 * @example
 * cpusetSize('0-3,8-11'); // 8
 */
export function cpusetSize(cpuset: string): number | undefined {
  const cpus = new Set<number>();
  for (const part of cpuset.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return undefined;
    for (let c = from; c <= to; c++) cpus.add(c);
  }
  return cpus.size > 0 ? cpus.size : undefined;
}

/** What {@link nodeAlarmSpecs} needs of a node. */
export interface AlarmedNode {
  readonly nodeId: string;
  readonly containers: readonly { readonly index: number; readonly cpuset?: string | undefined }[];
}

/**
 * The alarms of a ready node: the instance CPU alarm, the EC2 status-check alarm (both on EC2's
 * metrics, always), and one CPU alarm per container whose cpuset is known (a container without
 * one cannot be sized and gets none) when the policy trusts node metrics.
 *
 * @param node - the node (instance id, containers with their cpusets from NodeReady)
 * @param policy - thresholds; {@link DEFAULT_NODE_ALARM_POLICY} unless given
 * @returns the specs: instance CPU, status check, then containers in index order
 */
export function nodeAlarmSpecs(node: AlarmedNode, policy: NodeAlarmPolicy = DEFAULT_NODE_ALARM_POLICY): NodeAlarmSpec[] {
  const common = {
    periodSeconds: policy.periodSeconds,
    evaluationPeriods: policy.periods,
    datapointsToAlarm: policy.periods,
    comparison: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
    action: 'hot',
  } as const;
  const specs: NodeAlarmSpec[] = [
    {
      key: INSTANCE_CPU_ALARM_KEY,
      description: `Media node ${node.nodeId}: instance CPU > ${policy.instanceCpuPercent}% for ${policy.periods} of ${policy.periods} minutes; no new rooms while in ALARM`,
      source: 'ec2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: node.nodeId },
      statistic: 'Average',
      threshold: policy.instanceCpuPercent,
      ...common,
    },
    {
      key: STATUS_CHECK_ALARM_KEY,
      description: `Media node ${node.nodeId}: EC2 status check failed (system or instance) for ${policy.statusCheckPeriods} of ${policy.statusCheckPeriods} minutes; the node is unreachable and is closed (rooms interrupted, instance terminated, capacity replaced)`,
      source: 'ec2',
      metricName: 'StatusCheckFailed',
      dimensions: { InstanceId: node.nodeId },
      statistic: 'Maximum',
      periodSeconds: policy.periodSeconds,
      evaluationPeriods: policy.statusCheckPeriods,
      datapointsToAlarm: policy.statusCheckPeriods,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      action: 'close',
    },
  ];
  if (!policy.nodeMetrics) return specs;
  for (const c of [...node.containers].sort((a, b) => a.index - b.index)) {
    const cpus = c.cpuset === undefined ? undefined : cpusetSize(c.cpuset);
    if (cpus === undefined) continue;
    const threshold = Math.round(policy.containerCpuFraction * 100 * cpus * 100) / 100;
    specs.push({
      key: containerCpuAlarmKey(c.index),
      description: `Media node ${node.nodeId}, WCS container ${c.index} (cpuset ${c.cpuset}): CPU > ${threshold}% (${Math.round(policy.containerCpuFraction * 100)}% of ${cpus} CPUs) for ${policy.periods} of ${policy.periods} minutes; no new rooms on the node while in ALARM`,
      source: 'node',
      metricName: 'Cpu',
      dimensions: { InstanceId: node.nodeId, Container: String(c.index) },
      statistic: 'Maximum',
      threshold,
      ...common,
    });
  }
  return specs;
}

/**
 * Keys of every alarm a node of `containers` containers may have, whether or not its cpusets
 * were known: what to delete when it terminates (deleting an absent alarm is not an error).
 *
 * @param containers - containers per node (the node's own count when it has containers, else the pool's)
 */
export function nodeAlarmKeys(containers: number): string[] {
  return [INSTANCE_CPU_ALARM_KEY, STATUS_CHECK_ALARM_KEY, ...Array.from({ length: containers }, (_, i) => containerCpuAlarmKey(i))];
}
