import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NODE_SETTINGS, EC2_USER_DATA_LIMIT_BYTES, readBootstrapTemplate, type NodeSettings } from '../../shared/bootstrap/parameters.ts';
import { renderUserData, type FleetTarget } from '../../shared/bootstrap/render.ts';
import { PoolConfigSchema, heapPerContainerMiB, type PoolConfig } from '../../shared/domain/config.ts';
import { nitroTopology, partitionCpusets, type LogicalCpu } from '../../shared/domain/cpusets.ts';
import { parseNodeEvent } from '../../shared/events/parse.ts';
import { NODE_SOURCE, NodeReadyDetailSchema, NodeUnhealthyDetailSchema, boundNodeSource } from '../../shared/events/schemas.ts';
import { FakeNode, StubServer, argAfter, putEvents, type ImdsFixture } from './harness.ts';

const TARGET: FleetTarget = {
  fleet: 'test',
  eventBusName: 'wcs-autoscaler-test',
  nodeSource: NODE_SOURCE,
  metricsNamespace: 'WcsAutoscaler',
  region: 'eu-central-1',
  configParameter: '/wcs-autoscaler/test/config',
};

const PRIMARY = '10.0.1.10';
const secondaries = (n: number) => Array.from({ length: n }, (_, i) => `10.0.1.${11 + i}`);
const elasticIps = (n: number) => Array.from({ length: n }, (_, i) => `3.120.0.${21 + i}`);

function fixture(containers: number, overrides: Partial<ImdsFixture> = {}): ImdsFixture {
  const priv = secondaries(containers);
  const pub = elasticIps(containers);
  return {
    instanceId: 'i-0abc1234def567890',
    mac: '0e:11:22:33:44:55',
    localIps: [PRIMARY, ...priv],
    cidr: '10.0.1.0/24',
    // Listed out of order on purpose: the script must map each Elastic IP to its private IP.
    associations: Object.fromEntries(pub.map((p, i) => [p, priv[i]!]).reverse()),
    statStatus: 200,
    ...overrides,
  };
}

/** A put entry as EventBridge delivers it, parsed by node-events with the sender required. */
function delivered(e: { Source: string; DetailType: string; Detail: unknown }) {
  const envelope = { version: '0', id: 'e-1', source: e.Source, account: '123456789012', time: '2026-12-06T05:00:00Z', region: 'eu-central-1', resources: [], 'detail-type': e.DetailType, detail: e.Detail };
  return parseNodeEvent(envelope, { requireSender: true });
}

const server = new StubServer(fixture(2));
beforeAll(() => server.start());
afterAll(() => server.stop());

function pool(containers: number, vcpus = 8): PoolConfig {
  return PoolConfigSchema.parse({ name: 'media', containersPerNode: containers, vcpus, memoryMiB: vcpus * 2048 });
}

function render(p: PoolConfig, settings: Partial<NodeSettings> = {}): string {
  return renderUserData({ template: readBootstrapTemplate(), pool: p, settings: { ...DEFAULT_NODE_SETTINGS, httpPort: server.port, ...settings }, target: TARGET });
}

/** Run a fresh node; the caller cleans up. */
async function boot(p: PoolConfig, topology: readonly LogicalCpu[], fx: ImdsFixture, settings: Partial<NodeSettings> = {}) {
  server.fixture = fx;
  const node = new FakeNode(server, topology);
  const userData = render(p, settings);
  const result = await node.runUserData(userData);
  return { node, result, userData };
}

const TOPOLOGIES: [string, LogicalCpu[]][] = [
  ['8 vCPU / 4 cores with HT', nitroTopology(8)],
  ['8 vCPU without HT', nitroTopology(8, false)],
  ['16 vCPU / 8 cores with HT', nitroTopology(16)],
];
const CASES = TOPOLOGIES.flatMap(([name, topology]) =>
  [2, 4, 8].flatMap((containers) => [false, true].map((reserve) => ({ name, topology, containers, reserve }))),
);

describe('Script: node bootstrap (rendered user-data under the harness)', () => {
  describe.each(CASES)('$name, $containers containers, reserved host core: $reserve', ({ topology, containers, reserve }) => {
    const expected = partitionCpusets(topology, containers, reserve);
    const p = pool(containers, topology.length);

    if (expected.kind === 'insufficient') {
      it('fails with a clear error, puts NodeUnhealthy and starts nothing', async () => {
        // Act
        const { node, result } = await boot(p, topology, fixture(containers), { reserveHostCore: reserve });
        try {
          // Assess
          expect(result.code).not.toBe(0);
          expect(result.stderr).toContain(`cannot hold ${containers} containers`);
          const events = putEvents(node.calls());
          expect(events.map((e) => e.DetailType)).toEqual(['NodeUnhealthy']);
          const detail = NodeUnhealthyDetailSchema.parse(events[0]!.Detail);
          expect(detail.instanceId).toBe('i-0abc1234def567890');
          expect(detail.reason).toMatch(/cpusets: \d+ physical cores/);
          expect(node.calls().filter((c) => c.cmd === 'docker' && c.args[0] === 'run')).toHaveLength(0);
        } finally {
          node.cleanup();
        }
      });
      return;
    }

    it('creates the ipvlan network and one pinned container per secondary IP, then puts NodeReady; a second run creates nothing', async () => {
      // Act
      const { node, result } = await boot(p, topology, fixture(containers), { reserveHostCore: reserve });
      try {
        // Assess
        expect(result.stderr).not.toContain('ERROR');
        expect(result.code).toBe(0);
        const calls = node.calls();
        const creates = calls.filter((c) => c.cmd === 'docker' && c.args[0] === 'network' && c.args[1] === 'create');
        expect(creates.map((c) => c.args.slice(2))).toEqual([
          ['-d', 'ipvlan', '-o', 'parent=ens5', '-o', 'ipvlan_mode=l2', '--subnet', '10.0.1.0/24', '--gateway', '10.0.1.1', 'wcs-ipvlan'],
        ]);
        // One holder per slot owns the IP (and the netns); its WCS container joins it.
        const holders = calls.filter((c) => c.cmd === 'docker' && c.args[0] === 'create' && c.args.includes('--ip'));
        expect(holders.map((r) => argAfter(r.args, '--name'))).toEqual(Array.from({ length: containers }, (_, i) => `wcs-hold-${i}`));
        expect(holders.map((r) => argAfter(r.args, '--ip'))).toEqual(secondaries(containers));
        expect(holders.map((r) => argAfter(r.args, '--net'))).toEqual(Array(containers).fill('wcs-ipvlan'));
        const runs = calls.filter((c) => c.cmd === 'docker' && c.args[0] === 'create' && c.args.includes('--cpuset-cpus'));
        expect(runs.map((r) => argAfter(r.args, '--name'))).toEqual(Array.from({ length: containers }, (_, i) => `wcs-${i}`));
        expect(runs.map((r) => argAfter(r.args, '--net'))).toEqual(Array.from({ length: containers }, (_, i) => `container:wcs-hold-${i}`));
        const cpusets = runs.map((r) => argAfter(r.args, '--cpuset-cpus') ?? '');
        expect(cpusets).toEqual(expected.cpusets);
        // Disjoint, never splitting a physical core, the reserved core untouched.
        const coreOf = new Map(topology.map((c) => [c.cpu, `${c.socket}:${c.core}`]));
        const seenCores = new Set<string>();
        for (const set of cpusets) {
          const cpus = set.split(',').map(Number);
          const cores = new Set(cpus.map((c) => coreOf.get(c)!));
          for (const core of cores) {
            expect(seenCores.has(core)).toBe(false);
            seenCores.add(core);
            const siblings = topology.filter((c) => `${c.socket}:${c.core}` === core).map((c) => c.cpu);
            expect(cpus).toEqual(expect.arrayContaining(siblings));
          }
          if (reserve) expect(cpus).not.toContain(0);
        }
        for (const r of runs) {
          expect(argAfter(r.args, '--restart')).toBe('unless-stopped');
          expect(r.args.at(-1)).toBe(DEFAULT_NODE_SETTINGS.image);
          expect(r.args.at(-1)).not.toMatch(/:latest$/);
          expect(Number(argAfter(r.args, '--memory')?.replace('m', ''))).toBeGreaterThan(0);
        }
        // WCS settings: public IP, private IP, ports, heap with ZGC.
        const heap = heapPerContainerMiB(p);
        const pub = elasticIps(containers);
        secondaries(containers).forEach((priv, i) => {
          const props = node.file(`opt/wcs/containers/${i}/conf/flashphoner.properties`);
          expect(props).toMatch(new RegExp(`^ip=${pub[i]}$`, 'm'));
          expect(props).toMatch(new RegExp(`^ip_local=${priv}$`, 'm'));
          expect(props).toMatch(/^media_port_from=31001$/m);
          expect(props).toMatch(/^media_port_to=32000$/m);
          expect(props).toMatch(/^wss\.port=8443$/m);
          // The shipped file says `ip =` and `ip_local =`: replaced, not appended to.
          for (const key of ['ip', 'ip_local', 'media_port_from', 'wss\\.port']) expect(props.match(new RegExp(`^\\s*${key}\\s*=`, 'gm'))).toHaveLength(1);
          const core = node.file(`opt/wcs/containers/${i}/conf/wcs-core.properties`);
          expect(core).toContain(`-Xmx${heap}M\n`);
          expect(core).toContain('-XX:+UnlockExperimentalVMOptions\n-XX:+UseZGC\n');
          expect(core).not.toContain('ConcMarkSweep');
          expect(core.match(/^-Xm[sx]\d+M$/gm)).toEqual([`-Xms${heap}M`, `-Xmx${heap}M`]);
        });
        // NodeReady with every container.
        const events = putEvents(calls);
        // The source is bound to the instance ARN (account and region from the identity document).
        const source = boundNodeSource('arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc1234def567890');
        expect(events.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual([[source, 'NodeReady', 'wcs-autoscaler-test']]);
        expect(delivered(events[0]!)).toMatchObject({ kind: 'node-ready', sender: 'i-0abc1234def567890' });
        const ready = NodeReadyDetailSchema.parse(events[0]!.Detail);
        expect(ready.containers).toEqual(
          secondaries(containers).map((privateIp, index) => ({ index, privateIp, publicIp: pub[index], cpuset: expected.cpusets[index] })),
        );

        // Act: run again (cloud-init re-run, operator, reboot service)
        const again = await node.runUserData(render(p, { reserveHostCore: reserve }));

        // Assess
        expect(again.code).toBe(0);
        const second = node.calls().slice(calls.length);
        expect(second.filter((c) => c.cmd === 'docker' && ['run', 'create', 'start'].includes(c.args[0]!))).toEqual([]);
        expect(second.filter((c) => c.cmd === 'docker' && c.args[1] === 'create')).toEqual([]);
        expect(second.filter((c) => c.cmd === 'systemctl' && (c.args[0] === 'restart' || c.args[0] === 'daemon-reload'))).toEqual([]);
        expect(second.filter((c) => c.cmd === 'aws' && c.args[0] === 'ssm')).toEqual([]);
      } finally {
        node.cleanup();
      }
    });
  });

  describe('with the default pool on a c6i.2xlarge', () => {
    let node: FakeNode;
    let userData: string;
    beforeAll(async () => {
      node = new FakeNode(server, nitroTopology(8));
      server.fixture = fixture(2);
      // ec2-net-utils has already put a container IP on the primary interface.
      node.setHostAddresses([`${PRIMARY}/24`, '10.0.1.11/24']);
      userData = render(pool(2));
      const result = await node.runUserData(userData);
      expect(result.code).toBe(0);
    });
    afterAll(() => node.cleanup());

    it('reads IMDS with an IMDSv2 token only', () => {
      const gets = server.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/latest/'));
      expect(gets.length).toBeGreaterThan(0);
      expect(gets.every((r) => r.token === 'stub-token')).toBe(true);
    });

    it('keeps the OS off the container IPs (cloud-init, the documented ec2-net-utils override) and never drops the primary IP', () => {
      const calls = node.calls();
      // YAML flow style, since the rendered script keeps no indentation.
      expect(node.file('etc/cloud/cloud.cfg.d/99-wcs-ipvlan.cfg')).toBe('datasource: { Ec2: { apply_full_imds_network_config: false } }\n');
      // A drop-in of the same name in /etc/systemd/network overrides the package's generated one in /run.
      expect(node.exists('etc/systemd/network/70-ens5.network.d/ec2net_alias.conf')).toBe(true);
      expect(node.file('etc/systemd/network/70-ens5.network.d/ec2net_alias.conf')).not.toMatch(/^\s*Address\s*=/m);
      expect(calls.filter((c) => c.cmd === 'systemctl' && c.args[0] === 'mask')).toEqual([]);
      const dels = calls.filter((c) => c.cmd === 'ip' && c.args[0] === 'addr' && c.args[1] === 'del');
      expect(dels.map((c) => c.args[2])).toEqual(['10.0.1.11/24']);
    });

    it('installs Docker configuration with the userland proxy disabled', () => {
      expect(JSON.parse(node.file('etc/docker/daemon.json'))).toEqual({ 'userland-proxy': false });
      expect(node.calls()).toContainEqual({ cmd: 'systemctl', args: ['restart', 'docker'] });
    });

    it('blocks IMDS inside every container netns and drops NET_RAW so the route cannot be bypassed', () => {
      const calls = node.calls();
      // In each container's own netns (pid from docker inspect).
      for (const i of [0, 1]) {
        expect(calls).toContainEqual({ cmd: 'nsenter', args: ['-t', String(4000 + i), '-n', 'ip', 'route', 'replace', 'prohibit', '169.254.169.254/32'] });
        expect(calls).toContainEqual({ cmd: 'nsenter', args: ['-t', String(4000 + i), '-n', 'ip', 'route', 'replace', 'prohibit', '169.254.170.2/32'] });
      }
      const creates = calls.filter((c) => c.cmd === 'docker' && c.args[0] === 'create' && /^wcs-(hold-)?\d+$/.test(argAfter(c.args, '--name')!));
      expect(creates).toHaveLength(4);
      for (const r of creates) expect(argAfter(r.args, '--cap-drop')).toBe('NET_RAW');
      // Each WCS container is created only once its holder's netns has the route.
      for (const i of [0, 1]) {
        const route = calls.findIndex((c) => c.cmd === 'nsenter' && c.args[1] === String(4000 + i) && c.args.includes('169.254.169.254/32'));
        const wcs = calls.findIndex((c) => c.cmd === 'docker' && c.args[0] === 'create' && argAfter(c.args, '--name') === `wcs-${i}`);
        expect(route).toBeGreaterThan(-1);
        expect(route).toBeLessThan(wcs);
        // ...and bind-mounts the marker the guard writes after the route (dockerd cannot start it before).
        expect(argAfter(calls[wcs]!.args, '--mount')).toBe(`type=bind,src=${node.root}/run/wcs-node/imds-${i},dst=/run/wcs-imds-blocked,readonly`);
        expect(node.exists(`run/wcs-node/imds-${i}`)).toBe(true);
      }
      // The holder is small and idle; WCS keeps the cpuset and the memory limit.
      const holder = creates.find((c) => argAfter(c.args, '--name') === 'wcs-hold-0')!;
      expect([argAfter(holder.args, '--memory'), argAfter(holder.args, '--restart'), argAfter(holder.args, '--entrypoint'), holder.args.includes('--cpuset-cpus')]).toEqual(['16m', 'unless-stopped', 'sleep', false]);
      // The guard timer re-asserts it every 10 s (a holder restarted by dockerd gets a fresh netns).
      expect(node.file('etc/systemd/system/wcs-node-guard.timer')).toContain('OnUnitActiveSec=10s');
      expect(node.file('etc/systemd/system/wcs-node-guard.service')).toContain('wcs-node guard');
    });

    it('checks health inside each container netns (the host cannot reach its ipvlan children)', () => {
      const checks = node.calls().filter((c) => c.cmd === 'nsenter' && c.args.includes('curl'));
      expect(checks.map((c) => c.args[1])).toEqual(expect.arrayContaining(['4000', '4001']));
      expect(checks[0]!.args).toContain(`http://127.0.0.1:${server.port}/?action=stat`);
    });

    it('requires authentication on the WCS REST API', () => {
      for (const i of [0, 1]) {
        const props = node.file(`opt/wcs/containers/${i}/conf/flashphoner.properties`);
        expect(props).toMatch(/^disable_rest_auth=false$/m);
        expect(props).toMatch(/^https\.port=8444$/m);
      }
    });

    it('reads LICENSE / PASSWORD at boot from SecureStrings into a root-only env file, never on the command line', () => {
      const calls = node.calls();
      const gets = calls.filter((c) => c.cmd === 'aws' && c.args[0] === 'ssm');
      expect(gets.map((c) => argAfter(c.args, '--name'))).toEqual(['/wcs-autoscaler/test/secrets/wcs-license', '/wcs-autoscaler/test/secrets/wcs-password']);
      for (const g of gets) expect(g.args).toContain('--with-decryption');
      const env = node.file('var/lib/wcs-node/wcs-secrets.env');
      expect(env).toBe(`LICENSE=${node.license}\nPASSWORD=${node.password}\n`);
      const logged = calls.filter((c) => !(c.cmd === 'aws' && c.args[0] === 'ssm')).flatMap((c) => c.args).join(' ');
      expect(logged).not.toContain(node.license);
      expect(logged).not.toContain(node.password);
      expect(userData).not.toContain(node.license);
    });

    it('installs the guard and metrics timers and pushes WCS load per container to CloudWatch', async () => {
      expect(node.file('etc/systemd/system/wcs-node-metrics.timer')).toContain('OnUnitActiveSec=60s');
      // After a stop/start cloud-init does not run user-data again: the boot unit does.
      expect(node.file('etc/systemd/system/wcs-node.service')).toContain(`ExecStart=${node.root}/opt/wcs/bin/wcs-node bootstrap`);
      expect(node.calls()).toContainEqual({ cmd: 'systemctl', args: ['enable', 'wcs-node.service', 'wcs-node-resume.service'] });
      expect(node.calls()).toContainEqual({ cmd: 'systemctl', args: ['enable', '--now', 'wcs-node-guard.timer', 'wcs-node-metrics.timer'] });

      // Act: what the timer runs
      const before = node.calls().length;
      const result = await node.run(`${node.root}/opt/wcs/bin/wcs-node`, ['metrics']);

      // Assess
      expect(result.code).toBe(0);
      const put = node.calls().slice(before).find((c) => c.cmd === 'aws' && c.args[0] === 'cloudwatch');
      expect(argAfter(put!.args, '--namespace')).toBe('WcsAutoscaler');
      const data = JSON.parse(argAfter(put!.args, '--metric-data')!) as { MetricName: string; Value: number; Dimensions: { Name: string; Value: string }[] }[];
      const of = (name: string, container: string) =>
        data.find((d) => d.MetricName === name && d.Dimensions.some((x) => x.Name === 'Container' && x.Value === container))?.Value;
      expect([of('Connections', '0'), of('WebrtcStreamsIn', '0'), of('WebrtcStreamsOut', '1'), of('MediaPortsBusy', '1'), of('Cpu', '1')]).toEqual([3, 2, 5, 14, 3.25]);
      expect(data[0]!.Dimensions).toContainEqual({ Name: 'InstanceId', Value: 'i-0abc1234def567890' });
    });

    it('re-asserts the IMDS routes from the guard timer', async () => {
      const before = node.calls().length;
      const result = await node.run(`${node.root}/opt/wcs/bin/wcs-node`, ['guard']);
      expect(result.code).toBe(0);
      const routes = node.calls().slice(before).filter((c) => c.cmd === 'nsenter' && c.args.includes('route'));
      expect(routes).toHaveLength(4);
    });

    it('stays under the EC2 user-data limit and passes shellcheck', () => {
      expect(Buffer.byteLength(userData)).toBeLessThan(EC2_USER_DATA_LIMIT_BYTES);
      expect(() => execFileSync('shellcheck', ['-s', 'bash', '-'], { input: userData })).not.toThrow();
    });
  });

  describe('the restart path: a warm-pool node started again after a stop, or resumed after hibernation', () => {
    let node: FakeNode;
    let unitCommand: string;
    const run = async () => node.run(unitCommand, ['bootstrap']);
    const newEips = ['3.121.9.41', '3.121.9.42'];
    /** Calls since `from`, docker ones as "verb name". */
    const dockerSince = (from: number) =>
      node
        .calls()
        .slice(from)
        .filter((c) => c.cmd === 'docker' && (['create', 'start', 'rm'].includes(c.args[0]!) || (c.args[0] === 'network' && c.args[1] === 'create')))
        .map((c) => (c.args[0] === 'network' ? `network ${c.args[1]}` : `${c.args[0]} ${c.args[0] === 'create' ? argAfter(c.args, '--name') : c.args.at(-1)}`));
    const readies = () => putEvents(node.calls()).filter((e) => e.DetailType === 'NodeReady').map((e) => NodeReadyDetailSchema.parse(e.Detail));
    /** What a stop/start does to the node: every container stopped, /run (a tmpfs) empty. */
    const stopAndStart = () => {
      for (const f of readdirSync(node.state)) if (f.startsWith('run-')) rmSync(join(node.state, f));
      rmSync(join(node.root, 'run'), { recursive: true, force: true });
    };

    beforeAll(async () => {
      server.fixture = fixture(2);
      node = new FakeNode(server, nitroTopology(8));
      const first = await node.runUserData(render(pool(2)));
      expect(first.code).toBe(0);
      // What systemd runs at every boot (cloud-init runs the user-data only once per instance).
      unitCommand = /^ExecStart=(\S+) bootstrap$/m.exec(node.file('etc/systemd/system/wcs-node.service'))![1]!;
    });
    afterAll(() => node.cleanup());

    it('after a stop/start with new Elastic IPs: starts the holders, re-applies the IMDS block, re-creates WCS with the new ip, same slots in NodeReady', async () => {
      // Prepare: the pool released the addresses on stop; the autoscaler associated new ones on start.
      const before = node.calls().length;
      stopAndStart();
      server.fixture = fixture(2, { associations: { [newEips[1]!]: '10.0.1.12', [newEips[0]!]: '10.0.1.11' } });

      // Act
      const result = await run();

      // Assess
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/wcs-node\[bootstrap\]: boot$/m);
      // Nothing one-time again: no network, no holder, no secret, no unit reload.
      expect(dockerSince(before)).toEqual(['start wcs-hold-0', 'rm wcs-0', 'create wcs-0', 'start wcs-0', 'start wcs-hold-1', 'rm wcs-1', 'create wcs-1', 'start wcs-1']);
      const since = node.calls().slice(before);
      expect(since.filter((c) => c.cmd === 'aws' && c.args[0] === 'ssm')).toEqual([]);
      expect(since.filter((c) => c.cmd === 'systemctl' && ['daemon-reload', 'restart'].includes(c.args[0]!))).toEqual([]);
      for (const i of [0, 1]) {
        // The route in the holder's (new) netns before WCS is started in it, and the marker WCS mounts.
        const route = since.findIndex((c) => c.cmd === 'nsenter' && c.args[1] === String(4000 + i) && c.args.includes('169.254.169.254/32'));
        const start = since.findIndex((c) => c.cmd === 'docker' && c.args[0] === 'start' && c.args.at(-1) === `wcs-${i}`);
        expect(route).toBeGreaterThan(-1);
        expect(route).toBeLessThan(start);
        expect(node.exists(`run/wcs-node/imds-${i}`)).toBe(true);
        const create = since.find((c) => c.cmd === 'docker' && c.args[0] === 'create' && argAfter(c.args, '--name') === `wcs-${i}`)!;
        expect([argAfter(create.args, '--cpuset-cpus'), argAfter(create.args, '--net')]).toEqual([['0,4,1,5', '2,6,3,7'][i], `container:wcs-hold-${i}`]);
        expect(create.args).toContain(`EXTERNAL_IP=${newEips[i]}`);
        const props = node.file(`opt/wcs/containers/${i}/conf/flashphoner.properties`);
        expect(props.match(/^\s*ip\s*=.*$/gm)).toEqual([`ip=${newEips[i]}`]);
        expect(props).toMatch(new RegExp(`^ip_local=10\\.0\\.1\\.${11 + i}$`, 'm'));
      }
      // Health checked in every slot, then NodeReady again: same indexes, private IPs and cpusets; the new public IPs.
      expect(since.filter((c) => c.cmd === 'nsenter' && c.args.includes('curl')).map((c) => c.args[1])).toEqual(expect.arrayContaining(['4000', '4001']));
      const [first, second] = readies();
      expect(readies()).toHaveLength(2);
      expect(second!.containers.map(({ index, privateIp, cpuset }) => ({ index, privateIp, cpuset }))).toEqual(first!.containers.map(({ index, privateIp, cpuset }) => ({ index, privateIp, cpuset })));
      expect(second!.containers.map((c) => c.publicIp)).toEqual(newEips);
      expect(node.exists('run/wcs-node.ready')).toBe(true);
    });

    it('after a stop/start that kept its Elastic IPs: starts the same containers, re-creates nothing', async () => {
      const before = node.calls().length;
      stopAndStart();

      const result = await run();

      expect(result.code).toBe(0);
      expect(dockerSince(before)).toEqual(['start wcs-hold-0', 'start wcs-0', 'start wcs-hold-1', 'start wcs-1']);
      expect(readies()).toHaveLength(3);
      expect(readies()[2]).toEqual(readies()[1]);
    });

    it('after a resume from hibernation (processes and /run kept): the resume unit starts the boot unit, which checks health and puts NodeReady without touching a container', async () => {
      // The unit systemd stops once the system woke up: its ExecStop starts the boot unit again.
      const resume = node.file('etc/systemd/system/wcs-node-resume.service');
      for (const line of ['DefaultDependencies=no', 'StopWhenUnneeded=yes', 'Before=sleep.target', 'Type=oneshot', 'RemainAfterExit=yes', 'ExecStop=/usr/bin/systemctl start --no-block wcs-node.service', 'WantedBy=sleep.target']) {
        expect(resume.split('\n')).toContain(line);
      }
      expect(resume).not.toMatch(/^ExecStart=/m);
      const before = node.calls().length;

      const result = await run();

      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/wcs-node\[bootstrap\]: resume \(or re-run\)$/m);
      expect(dockerSince(before)).toEqual([]);
      const since = node.calls().slice(before);
      expect(since.filter((c) => c.cmd === 'nsenter' && c.args.includes('route')).length).toBeGreaterThanOrEqual(4);
      expect(since.filter((c) => c.cmd === 'nsenter' && c.args.includes('curl')).map((c) => c.args[1])).toEqual(expect.arrayContaining(['4000', '4001']));
      expect(readies()).toHaveLength(4);
      expect(readies()[3]).toEqual(readies()[1]);
    });

    it('re-creates a container whose options changed (kept in its label), and a re-created holder takes its WCS container along', async () => {
      // Prepare: holder 1 was created with other options (say, by an older script).
      writeFileSync(join(node.state, 'spec-wcs-hold-1'), '--ip 10.0.1.99\n');
      const before = node.calls().length;

      const result = await run();

      expect(result.code).toBe(0);
      expect(result.stderr).toContain('re-creating wcs-hold-1: its settings changed');
      expect(dockerSince(before)).toEqual(['rm wcs-hold-1', 'create wcs-hold-1', 'start wcs-hold-1', 'rm wcs-1', 'create wcs-1', 'start wcs-1']);
      const create = node.calls().slice(before).find((c) => c.cmd === 'docker' && c.args[0] === 'create' && argAfter(c.args, '--name') === 'wcs-hold-1')!;
      expect(argAfter(create.args, '--ip')).toBe('10.0.1.12');
      expect(readies().at(-1)).toEqual(readies()[1]);
    });

    it('after a resume whose health check fails: NodeUnhealthy naming the container, no NodeReady', async () => {
      server.fixture = { ...server.fixture, statStatus: 503 };
      try {
        const result = await run();

        expect(result.code).not.toBe(0);
        const events = putEvents(node.calls());
        expect(events.at(-1)!.DetailType).toBe('NodeUnhealthy');
        expect(NodeUnhealthyDetailSchema.parse(events.at(-1)!.Detail)).toMatchObject({ container: 0, reason: expect.stringContaining('health timeout: WCS did not answer') as unknown });
        expect(readies()).toHaveLength(5);
      } finally {
        server.fixture = { ...server.fixture, statStatus: 200 };
      }
    });

    it('the guard timer starts a WCS container whose start failed only once this boot has put NodeReady (before, the boot unit starts it with the new addresses)', async () => {
      // Prepare: a stop/start; dockerd could not start wcs-0 (its marker was not there yet).
      stopAndStart();
      writeFileSync(join(node.state, 'err-wcs-0'), 'error while creating mount source path: no such file or directory\n');
      const guard = () => node.run(unitCommand, ['guard']);
      const before = node.calls().length;

      // Act: the timer fires before the boot unit is done
      const early = await guard();

      // Assess: the holders' namespaces are routed and the markers written, WCS left alone
      expect(early.code).toBe(0);
      const since = node.calls().slice(before);
      expect(since.filter((c) => c.cmd === 'nsenter' && c.args.includes('route')).map((c) => c.args[1])).toEqual(['4000', '4000', '4001', '4001']);
      expect(node.exists('run/wcs-node/imds-0')).toBe(true);
      expect(dockerSince(before)).toEqual([]);

      // Act: the same after a NodeReady of this boot (say, dockerd restarted later)
      writeFileSync(join(node.root, 'run/wcs-node.ready'), '');
      const later = await guard();

      // Assess
      expect(later.code).toBe(0);
      expect(dockerSince(before)).toEqual(['start wcs-0']);
    });
  });

  describe('failures', () => {
    it('fails clearly when IMDS lists too few secondary private IPs', async () => {
      const { node, result } = await boot(pool(4), nitroTopology(16), fixture(4, { localIps: [PRIMARY, '10.0.1.11', '10.0.1.12'] }));
      try {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('4 containers need 4 secondary private IPs on the primary ENI; IMDS lists 2');
        const events = putEvents(node.calls());
        expect(events.map((e) => e.DetailType)).toEqual(['NodeUnhealthy']);
        expect(NodeUnhealthyDetailSchema.parse(events[0]!.Detail).reason).toContain('secondary private IPs');
        expect(node.calls().some((c) => c.cmd === 'docker')).toBe(false);
      } finally {
        node.cleanup();
      }
    });

    it('exits non-zero without an event when IMDS cannot name the instance (the event could not name its node)', async () => {
      const { node, result } = await boot(pool(2), nitroTopology(8), fixture(2, { instanceId: '' }));
      try {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('cannot read the instance id from IMDS');
        expect(putEvents(node.calls())).toEqual([]);
        expect(node.calls().some((c) => c.cmd === 'docker')).toBe(false);
      } finally {
        node.cleanup();
      }
    });

    it('binds its events to its instance ARN in the partition IMDS names (aws-cn, another account)', async () => {
      const { node, result } = await boot(pool(2), nitroTopology(8), fixture(2, { partition: 'aws-cn', region: 'cn-north-1', accountId: '210987654321', localIps: [PRIMARY] }));
      try {
        expect(result.code).not.toBe(0);
        const events = putEvents(node.calls());
        expect(events.map((e) => [e.Source, e.DetailType])).toEqual([[boundNodeSource('arn:aws-cn:ec2:cn-north-1:210987654321:instance/i-0abc1234def567890'), 'NodeUnhealthy']]);
        expect(delivered(events[0]!)).toMatchObject({ kind: 'node-unhealthy', sender: 'i-0abc1234def567890' });
      } finally {
        node.cleanup();
      }
    });

    it('falls back to G1 (and logs why) when the image\'s java refuses ZGC', async () => {
      server.fixture = fixture(2);
      const node = new FakeNode(server, nitroTopology(8));
      try {
        const result = await node.runUserData(render(pool(2)), { STUB_NO_ZGC: '1' });
        expect(result.code).toBe(0);
        expect(result.stderr).toContain("the image's java refuses ZGC, using G1: Unrecognized VM option 'UseZGC'");
        const core = node.file('opt/wcs/containers/0/conf/wcs-core.properties');
        expect(core.match(/^-XX:\S*GC\S*$/gm)).toEqual(['-XX:+UseG1GC']);
      } finally {
        node.cleanup();
      }
    });

    it('private-only (publicAddressing none): no Elastic IP wait, WCS ip is the private IP, NodeReady without publicIp', async () => {
      const { node, result } = await boot(pool(2), nitroTopology(8), fixture(2, { associations: {} }), { publicAddressing: 'none' });
      try {
        expect(result.code).toBe(0);
        const ready = NodeReadyDetailSchema.parse(putEvents(node.calls())[0]!.Detail);
        expect(ready.containers.map((c) => [c.privateIp, c.publicIp])).toEqual(secondaries(2).map((ip) => [ip, undefined]));
        expect(node.file('opt/wcs/containers/1/conf/flashphoner.properties')).toMatch(/^ip=10\.0\.1\.12$/m);
      } finally {
        node.cleanup();
      }
    });

    it('fails when an Elastic IP never shows up on a secondary IP', async () => {
      const { node, result } = await boot(pool(2), nitroTopology(8), fixture(2, { associations: { '3.120.0.21': '10.0.1.11' } }));
      try {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('no Elastic IP associated with secondary private IP(s) 10.0.1.12');
        expect(putEvents(node.calls()).map((e) => e.DetailType)).toEqual(['NodeUnhealthy']);
      } finally {
        node.cleanup();
      }
    });

    it('puts NodeUnhealthy naming the container when WCS does not answer', async () => {
      const { node, result } = await boot(pool(2), nitroTopology(8), fixture(2, { statStatus: 503 }));
      try {
        expect(result.code).not.toBe(0);
        const events = putEvents(node.calls());
        expect(events.map((e) => e.DetailType)).toEqual(['NodeUnhealthy']);
        const detail = NodeUnhealthyDetailSchema.parse(events[0]!.Detail);
        expect(detail.container).toBe(0);
        expect(detail.reason).toContain('did not answer /?action=stat');
      } finally {
        node.cleanup();
      }
    });
  });
});

describe('Template: infra/bootstrap', () => {
  it('passes shellcheck as kept in the repository', () => {
    expect(() => execFileSync('shellcheck', ['-s', 'bash', '-'], { input: readBootstrapTemplate() })).not.toThrow();
  });
});
