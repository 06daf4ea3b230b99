/**
 * What a node reports is checked against what the autoscaler already knows before it is
 * believed (docs/security.md#node-reports). A `NodeReady` names the node's containers with their
 * addresses and cpusets; the only parts taken from the node are the ones nothing else knows
 * (the cpusets, within the schema's caps). Everything else must agree with the autoscaler's own
 * records or with EC2:
 * - exactly the pool's `containersPerNode` containers, indexes `0 … n−1`, each on a different
 *   private IP;
 * - each private IP one of the secondary private IPs EC2 gave the instance's primary network
 *   interface (`ComputeProvider.nodeAddresses`, i.e. `DescribeInstances`);
 * - the public IP is the Elastic IP EC2 has associated with that private IP — never the one the
 *   node wrote (a report that names another is refused); a private-only pool gets none;
 * - a node that is already ready keeps its containers: a second `NodeReady` is accepted only as
 *   the retry of the first (same indexes, private IPs and cpusets), never as a rewrite;
 * - a node started again after a stop (`starting`) reports the containers it had (same indexes,
 *   private IPs and cpusets); only their public IPs may change (new Elastic IPs on start).
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import type { NodeView } from '../domain/model.ts';
import type { NodeReadyDetail, ReadyContainer } from '../events/schemas.ts';
import { publicAddressingOf } from './addresses.ts';
import type { AppDeps } from './deps.ts';
import { AutoscalerError } from '../errors.ts';

/** Outcome of {@link checkNodeReady}: the containers to record, or why the report is refused. */
export type NodeReadyCheck =
  | { readonly ok: true; readonly containers: readonly ReadyContainer[] }
  | { readonly ok: false; readonly reason: string };

function refuse(reason: string): NodeReadyCheck {
  return { ok: false, reason };
}

/**
 * Check a `NodeReady` against the pool, EC2's addresses of the instance, and (for a node already
 * ready) the containers recorded the first time.
 *
 * @param node - the node as recorded (state `launching`, `booting`, `starting` or `ready`)
 * @param pool - the node's pool (its `containersPerNode`)
 * @returns the containers to record, public IPs taken from EC2, or the reason to refuse
 * @throws {AutoscalerError} (retryable: the event is retried) when EC2 cannot be asked, does not
 *   describe the instance yet, or shows no Elastic IP on a container's private IP yet
 */
export async function checkNodeReady(
  deps: Pick<AppDeps, 'compute' | 'config'>,
  node: NodeView,
  pool: PoolConfig,
  detail: NodeReadyDetail,
): Promise<NodeReadyCheck> {
  const reported = [...detail.containers].sort((a, b) => a.index - b.index);
  const n = pool.containersPerNode;
  if (reported.length !== n || reported.some((c, i) => c.index !== i)) {
    return refuse(`container-count: pool ${pool.name} runs ${n} containers (indexes 0-${n - 1}); the report names ${reported.map((c) => c.index).join(',')}`);
  }
  if (new Set(reported.map((c) => c.privateIp)).size !== n) return refuse('duplicate-private-ip: two containers on one private IP');

  let containers: readonly ReadyContainer[] = reported;
  if (deps.compute.nodeAddresses) {
    const known = await deps.compute.nodeAddresses(node.nodeId);
    // DescribeInstances is eventually consistent: a node we launched that EC2 does not show yet,
    // or an association the node saw in IMDS before the API shows it, is retried, not refused.
    if (!known) throw new AutoscalerError(`${node.nodeId}: EC2 does not describe the instance yet`, { retryable: true });
    const elastic = (await publicAddressingOf(deps, pool.name)) === 'elastic-ip';
    const checked: ReadyContainer[] = [];
    for (const c of reported) {
      if (!known.privateIps.includes(c.privateIp)) return refuse(`address-mismatch: ${c.privateIp} is not a secondary private IP of ${node.nodeId}`);
      const { publicIp: claimed, ...rest } = c;
      if (!elastic) {
        checked.push(rest);
        continue;
      }
      const publicIp = known.publicIps.get(c.privateIp);
      if (publicIp === undefined) throw new AutoscalerError(`${node.nodeId}: EC2 shows no Elastic IP on ${c.privateIp} yet`, { retryable: true });
      if (claimed !== undefined && claimed !== publicIp) return refuse(`address-mismatch: ${c.privateIp} of ${node.nodeId} has ${publicIp}, the report says ${claimed}`);
      checked.push({ ...rest, publicIp });
    }
    containers = checked;
  }

  if (node.state === 'ready' || node.state === 'starting') {
    for (const stored of node.containers) {
      const c = containers.find((r) => r.index === stored.index);
      if (!c || c.privateIp !== stored.privateIp || c.cpuset !== stored.cpuset) {
        return refuse(
          node.state === 'ready'
            ? `already-ready: ${node.nodeId} is ready; its containers are not rewritten by a later NodeReady`
            : `restart-mismatch: ${node.nodeId} started again after a stop; its containers keep their private IPs and cpusets`,
        );
      }
    }
  }
  return { ok: true, containers };
}
