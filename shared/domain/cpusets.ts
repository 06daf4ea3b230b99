/**
 * cpuset partitioning of a media node: which logical CPUs each WCS container is pinned to.
 *
 * The node computes the real partition from `lscpu -p=CPU,CORE,SOCKET` in its bootstrap script
 * with the same rule; this pure version documents the rule, backs the worked example in docs/node-layout.md
 * and is the oracle the bootstrap tests compare the script against.
 *
 * Rule (docs/design.md#node-sizing-and-isolation: unpinned containers competed for cores and ~1% of streams degraded;
 * overlapping sets such as `0-15` and `15-31` share a core):
 * 1. Group logical CPUs by physical core (socket, core): hyperthread siblings stay together, so
 *    two containers never share a physical core.
 * 2. Order cores by their lowest CPU number; with `reserveHostCore`, the first core (the one
 *    holding CPU 0) is left to the host.
 * 3. Each container gets `floor(available cores / containers)` consecutive cores; any remainder
 *    stays with the host.
 *
 * @module
 */

/** One line of `lscpu -p=CPU,CORE,SOCKET`. */
export interface LogicalCpu {
  readonly cpu: number;
  readonly core: number;
  readonly socket: number;
}

/** Outcome of {@link partitionCpusets}. */
export type CpusetPartition =
  | {
      readonly kind: 'ok';
      /** One cpuset per container, e.g. `['0,4', '1,5']`, in `docker run --cpuset-cpus` syntax. */
      readonly cpusets: readonly string[];
      /** Physical cores per container. */
      readonly coresPerContainer: number;
      /** Logical CPUs left to the host (reserved core plus remainder). */
      readonly hostCpus: readonly number[];
    }
  | { readonly kind: 'insufficient'; readonly cores: number; readonly available: number; readonly containers: number; readonly reason: string };

/**
 * Parse `lscpu -p=CPU,CORE,SOCKET` output (comment lines start with `#`).
 *
 * @example
 * parseLscpu('# CPU,Core,Socket\n0,0,0\n1,1,0\n');
 * // → [{ cpu: 0, core: 0, socket: 0 }, { cpu: 1, core: 1, socket: 0 }]
 */
export function parseLscpu(text: string): LogicalCpu[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [cpu, core, socket] = line.split(',').map(Number);
      return { cpu: cpu ?? NaN, core: core ?? NaN, socket: socket ?? NaN };
    })
    .filter((c) => Number.isInteger(c.cpu) && Number.isInteger(c.core) && Number.isInteger(c.socket));
}

/**
 * Split a node's logical CPUs into disjoint per-container cpusets that never split a physical core.
 *
 * @param topology - logical CPUs, in `lscpu` order
 * @param containers - WCS containers on the node (≥ 1)
 * @param reserveHostCore - keep the core of CPU 0 for the host
 * @returns the cpusets, or `insufficient` when fewer usable cores than containers
 * @example
 * // c6i.2xlarge: 8 vCPUs, 4 cores, sibling of CPU n is n + 4
 * partitionCpusets(c6i2xlarge, 2, false); // → { kind: 'ok', cpusets: ['0,4,1,5', '2,6,3,7'], … }
 */
export function partitionCpusets(topology: readonly LogicalCpu[], containers: number, reserveHostCore: boolean): CpusetPartition {
  const order: string[] = [];
  const cpusOf = new Map<string, number[]>();
  for (const { cpu, core, socket } of topology) {
    const key = `${socket}:${core}`;
    const list = cpusOf.get(key);
    if (list) list.push(cpu);
    else {
      cpusOf.set(key, [cpu]);
      order.push(key);
    }
  }
  const first = reserveHostCore ? 1 : 0;
  const available = Math.max(0, order.length - first);
  const per = Math.floor(available / Math.max(1, containers));
  if (containers < 1 || per < 1) {
    return {
      kind: 'insufficient',
      cores: order.length,
      available,
      containers,
      reason: `${order.length} physical cores (${available} after the host core) cannot hold ${containers} containers, one core each at least`,
    };
  }
  const cpusets: string[] = [];
  for (let c = 0; c < containers; c++) {
    const cores = order.slice(first + c * per, first + (c + 1) * per);
    cpusets.push(cores.flatMap((k) => cpusOf.get(k) ?? []).join(','));
  }
  const used = new Set(order.slice(first, first + containers * per));
  const hostCpus = order.filter((k) => !used.has(k)).flatMap((k) => cpusOf.get(k) ?? []);
  return { kind: 'ok', cpusets, coresPerContainer: per, hostCpus };
}

/**
 * The topology of an AWS Nitro x86 instance with `vcpus` vCPUs: one socket, `vcpus / 2` cores,
 * CPU n and n + vcpus/2 siblings (as `lscpu` shows on c6i/m6i), or one CPU per core without
 * hyperthreading.
 */
export function nitroTopology(vcpus: number, hyperthreading = true): LogicalCpu[] {
  const cores = hyperthreading ? vcpus / 2 : vcpus;
  return Array.from({ length: vcpus }, (_, cpu) => ({ cpu, core: cpu % cores, socket: 0 }));
}
