/**
 * Which CloudWatch alarms watch one media node, as data: the node-events function creates them
 * when the node becomes ready and deletes them when it terminates; their state changes come back
 * through EventBridge and mark the node hot (no new rooms) until they clear (docs/design.md#scaling-policy).
 *
 * Two kinds, both on 1-minute periods:
 * - **Instance CPU** — `AWS/EC2 CPUUtilization` (detailed monitoring is on in the launch template,
 *   so EC2 reports every minute), Average > 85 % for 3 of 3 minutes.
 * - **WCS container CPU** — the `Cpu` figure each node pushes per container (bootstrap template,
 *   `wcs-node metrics`: `docker stats` CPU %, dimensions `InstanceId`, `Container`), Maximum
 *   > 90 % of the container's cpuset for 3 of 3 minutes. Docker reports one fully used logical
 *   CPU as 100 %, so a container pinned to `0-3` saturates at 400 %: the threshold is
 *   0.9 × 100 × (logical CPUs in its cpuset). This is the alarm that sees a single hot container
 *   on a pinned node: with four 2-vCPU containers one saturated container is only 25 % of the
 *   instance, far below the instance alarm.
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
 * - Missing data is not breaching: a terminated instance, or a metrics timer that skipped a
 *   minute, must clear a hot mark rather than hold it (node-events ignores INSUFFICIENT_DATA,
 *   so an alarm that went there from ALARM would keep the node hot forever). Stalled nodes are
 *   the bootstrap guard's job (`NodeUnhealthy`).
 *
 * Names: `<fleet prefix><instance id>-<key>`; the adapter adds the prefix
 * (`wcs-autoscaler-<fleet>-node-`, which routes the state changes to node-events) and
 * `instanceIdOfAlarm` reads the instance id back from the name.
 *
 * @module
 */

/** Where an alarm's metric comes from: EC2 itself, or what the node pushes (the fleet's namespace). */
export type NodeAlarmSource = 'ec2' | 'node';

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
  /** Percent (of one logical CPU for container CPU, as Docker reports it). */
  readonly threshold: number;
  readonly comparison: 'GreaterThanThreshold';
  readonly treatMissingData: 'notBreaching';
}

/** Thresholds of {@link nodeAlarmSpecs}; the module documentation gives the reasoning. */
export interface NodeAlarmPolicy {
  /** Instance CPUUtilization above which a minute counts as hot, percent. */
  readonly instanceCpuPercent: number;
  /** Container CPU above which a minute counts as hot, fraction of its cpuset (0–1). */
  readonly containerCpuFraction: number;
  /** Seconds (60: EC2 detailed monitoring and the node's default metrics interval). */
  readonly periodSeconds: number;
  /** Consecutive hot periods that raise the alarm. */
  readonly periods: number;
  /**
   * Also alarm on what the node pushes (container CPU). Off unless the configuration trusts node
   * metrics (`AutoscalerConfig.trustNodeMetrics`): `cloudwatch:PutMetricData` can be limited to
   * a namespace but not to dimension values, so any node may push `Cpu` with another node's
   * `InstanceId` and mark it hot; `AWS/EC2` metrics come from EC2 alone (docs/security.md).
   */
  readonly nodeMetrics: boolean;
}

/**
 * The default policy: instance > 85 %, container > 90 % of its cpuset, 3 of 3 one-minute periods.
 * `nodeMetrics` is on here; node-events turns it off unless the configuration trusts node metrics.
 */
export const DEFAULT_NODE_ALARM_POLICY: NodeAlarmPolicy = {
  instanceCpuPercent: 85,
  containerCpuFraction: 0.9,
  periodSeconds: 60,
  periods: 3,
  nodeMetrics: true,
};

/** Key of the instance CPU alarm. */
export const INSTANCE_CPU_ALARM_KEY = 'cpu';

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
 * The alarms of a ready node: the instance CPU alarm, and one CPU alarm per container whose
 * cpuset is known (a container without one cannot be sized and gets none).
 *
 * @param node - the node (instance id, containers with their cpusets from NodeReady)
 * @param policy - thresholds; {@link DEFAULT_NODE_ALARM_POLICY} unless given
 * @returns the specs, instance alarm first, containers in index order
 */
export function nodeAlarmSpecs(node: AlarmedNode, policy: NodeAlarmPolicy = DEFAULT_NODE_ALARM_POLICY): NodeAlarmSpec[] {
  const common = {
    periodSeconds: policy.periodSeconds,
    evaluationPeriods: policy.periods,
    datapointsToAlarm: policy.periods,
    comparison: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
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
  return [INSTANCE_CPU_ALARM_KEY, ...Array.from({ length: containers }, (_, i) => containerCpuAlarmKey(i))];
}
