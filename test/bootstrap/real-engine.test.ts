/**
 * The rendered user-data against a real container engine (see engine/engine.ts for the layout).
 * Results are observed — inside the containers, from the daemon, in the files and events — not
 * read off command lines. Run alone with `npx vitest run test/bootstrap/real-engine.test.ts`.
 *
 * Without root or a working dockerd the suite is skipped with the reason; with CI=true (or
 * WCS_REQUIRE_ENGINE=1, which .ci/run sets) it fails instead, so CI cannot pass without running it.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NODE_SETTINGS, readBootstrapTemplate, type NodeSettings } from '../../shared/bootstrap/parameters.ts';
import { renderUserData, type FleetTarget } from '../../shared/bootstrap/render.ts';
import { PoolConfigSchema, heapPerContainerMiB, type PoolConfig } from '../../shared/domain/config.ts';
import { parseNodeEvent } from '../../shared/events/parse.ts';
import { NODE_SOURCE, NodeReadyDetailSchema, NodeUnhealthyDetailSchema, boundNodeSource } from '../../shared/events/schemas.ts';
import { EngineNode, IMAGES, INSTANCE_ID, LICENSE, MAC, PASSWORD, SUBNET, WCS_CONF, engineUnavailable, parseCpuList, type ImdsFixture, type PutEvent } from './engine/engine.ts';

const TARGET: FleetTarget = {
  fleet: 'engine',
  eventBusName: 'wcs-autoscaler-engine',
  nodeSource: NODE_SOURCE,
  metricsNamespace: 'WcsAutoscaler',
  region: 'eu-central-1',
  configParameter: '/wcs-autoscaler/engine/config',
};

/** Secondary IPs that sort differently as text and as numbers; the two lowest serve containers. */
const SECONDARIES = ['198.18.7.100', '198.18.7.20', '198.18.7.3'];
const ORDERED = ['198.18.7.3', '198.18.7.20'];
const EIPS: Record<string, string> = { '192.0.2.120': '198.18.7.20', '192.0.2.103': '198.18.7.3', '192.0.2.200': '198.18.7.100' };
const PUBLIC_OF = (priv: string) => Object.entries(EIPS).find(([, p]) => p === priv)![0];
/** The Elastic IPs a start after a stop may bring when the pool releases them on stop. */
const NEW_EIPS: Record<string, string> = { '192.0.2.31': '198.18.7.3', '192.0.2.32': '198.18.7.20', '192.0.2.33': '198.18.7.100' };
const NEW_PUBLIC_OF = (priv: string) => Object.entries(NEW_EIPS).find(([, p]) => p === priv)![0];

function fixture(overrides: Partial<ImdsFixture> = {}): ImdsFixture {
  return {
    instanceId: INSTANCE_ID,
    mac: MAC,
    primaryIp: SUBNET.primary,
    // Shuffled, the primary in the middle: IMDS promises no order.
    localIps: [SECONDARIES[0]!, SUBNET.primary, SECONDARIES[2]!, SECONDARIES[1]!],
    cidr: SUBNET.cidr,
    associations: EIPS,
    accountId: ACCOUNT,
    region: TARGET.region,
    partition: 'aws',
    ...overrides,
  };
}

const ACCOUNT = '123456789012';
/** The source node-events requires: bound to this instance's ARN. */
const SOURCE = boundNodeSource(`arn:aws:ec2:${TARGET.region}:${ACCOUNT}:instance/${INSTANCE_ID}`);

const POOL: PoolConfig = PoolConfigSchema.parse({ name: 'media', containersPerNode: 2 });
const HTTP_PORT = 8081;

function render(settings: Partial<NodeSettings> = {}, pool: PoolConfig = POOL): string {
  return renderUserData({ template: readBootstrapTemplate(), pool, settings: { ...DEFAULT_NODE_SETTINGS, image: IMAGES.ok, httpPort: HTTP_PORT, ...settings }, target: TARGET });
}

const unavailable = engineUnavailable();
/** Under CI (`CI=true`, or `.ci/run`'s WCS_REQUIRE_ENGINE=1) an engine that cannot run fails the suite. */
const strict = process.env.CI === 'true' || process.env.WCS_REQUIRE_ENGINE === '1';
const node = new EngineNode();
let startError: string | undefined = unavailable;

beforeAll(async () => {
  if (unavailable) return;
  try {
    await node.start(fixture());
  } catch (error) {
    startError = (error as Error).message;
  }
}, 120_000);
afterAll(() => node.stop(), 60_000);

/** Skip (or, under CI=true, fail) when the engine is not there; the reason is printed. */
function needEngine(ctx: { skip: (note?: string) => void }): void {
  if (!startError) return;
  if (strict) throw new Error(`real-engine suite cannot run under CI: ${startError}`);
  ctx.skip(`real engine unavailable: ${startError}`);
}

if (unavailable && !strict) console.warn(`[real-engine] skipped: ${unavailable}`);

const ready = (events: readonly PutEvent[]) => events.filter((e) => e.DetailType === 'NodeReady').map((e) => NodeReadyDetailSchema.parse(e.Detail));
const unhealthy = (events: readonly PutEvent[]) => events.filter((e) => e.DetailType === 'NodeUnhealthy').map((e) => NodeUnhealthyDetailSchema.parse(e.Detail));

/** Real topology of this machine: CPU → "socket:core". */
function coreOfCpu(): Map<number, string> {
  const out = execFileSync('lscpu', ['-p=CPU,CORE,SOCKET'], { encoding: 'utf8' });
  return new Map(
    out
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(','))
      .map(([cpu, core, socket]) => [Number(cpu), `${socket}:${core}`]),
  );
}

/** Content hash of every file the script manages plus container ids: what "changes nothing" compares. */
function snapshot(): string {
  const files = execFileSync('find', [node.root, '-type', 'f', '-printf', '%P\\n'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(execFileSync('cat', [`${node.root}/${f}`]));
  return `${h.digest('hex')} ${node.docker('ps', '-a', '--no-trunc', '--format', '{{.Names}}={{.ID}}').split('\n').sort().join(',')}`;
}

/** The key's lines (whatever the spacing) in a properties text. */
const linesOf = (props: string, key: string) => props.split('\n').filter((l) => new RegExp(`^\\s*${key.replace('.', '\\.')}\\s*=`).test(l));

/** An HTTP request over TCP to IMDS (busybox nc): the answer ("HTTP/1.1 401 …") or nc's error. */
const IMDS_PROBE = 'printf "GET /latest/meta-data/ HTTP/1.0\\r\\n\\r\\n" | nc -w 3 169.254.169.254 80 2>&1; echo "nc exit $?"';
function imdsFrom(container: string): string {
  return node.exec(container, 'sh', '-c', IMDS_PROBE);
}

/** The CPUs a container's main process may run on, as the kernel reports them. */
function cpusetOf(container: string): string {
  return node.exec(container, 'sed', '-n', 's/^Cpus_allowed_list:\\s*//p', '/proc/1/status');
}

describe('Real engine: the rendered user-data on a node with a real Docker daemon', () => {
  describe('first boot with Elastic IPs, then a second run and a stop/start', () => {
    let first: { code: number; stderr: string };

    beforeAll(async () => {
      if (startError) return;
      first = await node.runUserData(render());
    }, 150_000);

    it('boots: exit 0, one NodeReady with every container (index, sorted private IP, its Elastic IP, real cpuset)', (ctx) => {
      needEngine(ctx);
      expect(first.stderr).not.toContain('ERROR');
      expect(first.code).toBe(0);
      const events = node.events();
      expect(events.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual([[SOURCE, 'NodeReady', TARGET.eventBusName]]);
      // node-events, with the sender required, takes it as this instance's own report.
      const envelope = { version: '0', id: 'e-1', source: events[0]!.Source, account: ACCOUNT, time: '2026-12-06T05:00:00Z', region: TARGET.region, resources: [], 'detail-type': 'NodeReady', detail: events[0]!.Detail };
      expect(parseNodeEvent(envelope, { requireSender: true })).toMatchObject({ kind: 'node-ready', sender: INSTANCE_ID });
      const [detail] = ready(events);
      expect(detail!.instanceId).toBe(INSTANCE_ID);
      const cpusets = [0, 1].map((i) => node.exec(`wcs-${i}`, 'sed', '-n', 's/^Cpus_allowed_list:\\s*//p', '/proc/1/status'));
      expect(detail!.containers).toEqual(
        ORDERED.map((privateIp, index) => ({ index, privateIp, publicIp: PUBLIC_OF(privateIp), cpuset: parseCpuList(cpusets[index]!).join(',') })),
      );
    });

    it('runs each container on its own secondary private IP in sorted order, restart unless-stopped, memory-limited, without NET_RAW', (ctx) => {
      needEngine(ctx);
      const limitMiB = Math.floor((POOL.memoryMiB - DEFAULT_NODE_SETTINGS.hostMemoryMiB) / POOL.containersPerNode);
      ORDERED.forEach((ip, i) => {
        const name = `wcs-${i}`;
        expect(node.exec(name, 'ip', '-4', '-o', 'addr', 'show', 'eth0')).toContain(` ${ip}/${SUBNET.prefix} `);
        expect(node.docker('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}} {{.State.Running}}', name)).toBe('unless-stopped true');
        expect(Number(node.exec(name, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'))).toBe(limitMiB * 1024 * 1024);
        const capEff = BigInt(`0x${node.exec(name, 'sed', '-n', 's/^CapEff:\\s*//p', '/proc/1/status')}`);
        expect(capEff & (1n << 13n)).toBe(0n); // CAP_NET_RAW
        expect(capEff & (1n << 12n)).toBe(0n); // CAP_NET_ADMIN: the IMDS route cannot be removed
        // The WCS container lives in its holder's network namespace; the holder is small, idle, restarted, without NET_RAW.
        const holder = `wcs-hold-${i}`;
        expect(node.exec(name, 'readlink', '/proc/1/ns/net')).toBe(node.exec(holder, 'readlink', '/proc/1/ns/net'));
        expect(node.docker('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}} {{.State.Running}} {{.HostConfig.Memory}} {{.HostConfig.CapDrop}} {{.Config.Hostname}}', holder)).toBe(
          `unless-stopped true ${16 * 1024 * 1024} [NET_RAW] ${name}`,
        );
        expect(node.exec(holder, 'ip', '-4', '-o', 'addr', 'show', 'eth0')).toContain(` ${ip}/${SUBNET.prefix} `);
        expect(node.exec(name, 'hostname')).toBe(name);
      });
    });

    it('pins containers to non-empty, pairwise disjoint cpusets that never split a physical core', (ctx) => {
      needEngine(ctx);
      const coreOf = coreOfCpu();
      const sets = [0, 1].map((i) => parseCpuList(node.exec(`wcs-${i}`, 'sed', '-n', 's/^Cpus_allowed_list:\\s*//p', '/proc/1/status')));
      const owner = new Map<string, number>();
      sets.forEach((cpus, i) => {
        expect(cpus.length).toBeGreaterThan(0);
        for (const cpu of cpus) {
          const core = coreOf.get(cpu);
          expect(core).toBeDefined();
          expect(owner.get(core!) ?? i).toBe(i);
          owner.set(core!, i);
        }
      });
      expect(new Set(sets.flat()).size).toBe(sets.flat().length);
    });

    it('edits flashphoner.properties in place: one line per key the script sets, whatever the shipped spacing', (ctx) => {
      needEngine(ctx);
      ORDERED.forEach((priv, i) => {
        const props = node.exec(`wcs-${i}`, 'cat', `${WCS_CONF}/flashphoner.properties`);
        const want: Record<string, string> = {
          ip: PUBLIC_OF(priv),
          ip_local: priv,
          media_port_from: '31001',
          media_port_to: '32000',
          'wss.port': '8443',
          'http.port': String(HTTP_PORT),
          'https.port': '8444',
          disable_rest_auth: 'false',
        };
        for (const [key, value] of Object.entries(want)) expect(linesOf(props, key)).toEqual([`${key}=${value}`]);
        // The rest of the vendor file is untouched (comments, other keys).
        expect(props).toContain('#ip = 192.0.2.1 (an example in a comment stays a comment)');
        expect(linesOf(props, 'ws.port')).toEqual(['ws.port =8080']);
      });
    });

    it("writes JVM flags the image's java accepts, with the configured heap", (ctx) => {
      needEngine(ctx);
      const heap = heapPerContainerMiB(POOL);
      for (const i of [0, 1]) {
        const name = `wcs-${i}`;
        // The running server's own arguments (recorded by the stand-in JVM at start).
        const args = node.exec(name, 'cat', '/usr/local/FlashphonerWebCallServer/logs/jvm-args').split('\n');
        expect(args.filter((a) => a.startsWith('-Xmx'))).toEqual([`-Xmx${heap}M`]);
        expect(args.filter((a) => a.startsWith('-Xms'))).toEqual([`-Xms${heap}M`]);
        // Every option line of wcs-core.properties, given to the image's java, starts a JVM.
        const check = node.exec(name, 'sh', '-c', `java $(grep -v '^[ \t]*#' ${WCS_CONF}/wcs-core.properties | tr '\\n' ' ') -version 2>&1; echo "exit=$?"`);
        expect(check).toContain('exit=0');
        expect(check).not.toMatch(/Error|Unrecognized|Conflicting/);
      }
    });

    it('blocks TCP to IMDS from inside the containers while the host still reaches it', (ctx) => {
      needEngine(ctx);
      for (const i of [0, 1]) {
        const answer = imdsFrom(`wcs-${i}`);
        expect(answer).not.toContain('HTTP/1.1');
        expect(answer).toMatch(/can't connect.*Permission denied/);
      }
      // The host (the node's netns): a token and the instance id.
      const token = node.inNode('curl', '-fsS', '-m', '3', '-X', 'PUT', '-H', 'X-aws-ec2-metadata-token-ttl-seconds: 60', 'http://169.254.169.254/latest/api/token');
      expect(node.inNode('curl', '-fsS', '-m', '3', '-H', `X-aws-ec2-metadata-token: ${token}`, 'http://169.254.169.254/latest/meta-data/instance-id')).toBe(INSTANCE_ID);
      // Control: a container on the same network that the script did not guard does connect.
      const control = node.docker('run', '--rm', '--net', 'wcs-ipvlan', '--ip', '198.18.7.77', '--entrypoint', 'sh', IMAGES.ok, '-c', IMDS_PROBE);
      expect(control).toContain('HTTP/1.1 401');
    });

    it('keeps the OS off the container IPs with the documented ec2-net-utils override, masking no unit', (ctx) => {
      needEngine(ctx);
      const override = execFileSync('cat', [`${node.root}/etc/systemd/network/70-ens5.network.d/ec2net_alias.conf`], { encoding: 'utf8' });
      expect(override).not.toMatch(/^\s*Address\s*=/m);
      const systemctl = execFileSync('sh', ['-c', `cat ${node.systemctlFile} 2>/dev/null || true`], { encoding: 'utf8' });
      expect(systemctl).not.toMatch(/\bmask\b/);
      // The host keeps its primary address and default route (egress).
      expect(node.inNode('ip', '-4', '-o', 'addr', 'show', 'dev', 'ens5')).toContain(`${SUBNET.primary}/${SUBNET.prefix}`);
      expect(node.inNode('ip', 'route', 'show', 'default')).toContain(`via ${SUBNET.gateway} dev ens5`);
    });

    it('reads LICENSE / PASSWORD into the containers from the SecureStrings, never on a command line', (ctx) => {
      needEngine(ctx);
      const env = node.exec('wcs-0', 'env');
      expect(env).toContain(`LICENSE=${LICENSE}`);
      expect(env).toContain(`PASSWORD=${PASSWORD}`);
      expect(node.docker('inspect', '-f', '{{json .Args}} {{json .Path}}', 'wcs-0')).not.toContain(LICENSE);
    });

    it('changes nothing on a second run (same container ids, same files) and reports ready again', async (ctx) => {
      needEngine(ctx);
      const before = snapshot();
      const again = await node.runUserData(render());
      expect(again.code).toBe(0);
      expect(snapshot()).toBe(before);
      expect(ready(node.events())).toHaveLength(2);
    }, 120_000);

    it('keeps IMDS blocked in a restarted container at once (the route lives in the holder, no guard run)', (ctx) => {
      needEngine(ctx);
      const pidBefore = node.docker('inspect', '-f', '{{.State.Pid}}', 'wcs-0');
      node.docker('restart', '-t', '1', 'wcs-0');
      // Checked right after the restart: nothing (no guard timer here) has touched the namespace since.
      expect(imdsFrom('wcs-0')).toMatch(/can't connect.*Permission denied/);
      expect(node.docker('inspect', '-f', '{{.State.Pid}}', 'wcs-0')).not.toBe(pidBefore);
      // The host still reaches IMDS.
      expect(node.inNode('curl', '-sS', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', 'http://169.254.169.254/latest/meta-data/')).toBe('401');
    });

    it('comes back after dockerd restarts (its drop-in empties /run/wcs-node): same containers, IMDS blocked in their new namespaces, NodeReady again', async (ctx) => {
      needEngine(ctx);
      const ids = node.docker('ps', '--no-trunc', '--format', '{{.Names}}={{.ID}}').split('\n').sort();
      // The boot unit the script installed (cloud-init does not run user-data again).
      const unit = execFileSync('cat', [`${node.root}/etc/systemd/system/wcs-node.service`], { encoding: 'utf8' });
      expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
      expect(execFileSync('cat', [node.systemctlFile], { encoding: 'utf8' })).toMatch(/^enable wcs-node\.service wcs-node-resume\.service$/m);
      const [script, ...args] = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(' ');
      // A reboot empties /run (tmpfs); the docker.service drop-in does the same when dockerd starts.
      expect(execFileSync('cat', [`${node.root}/etc/systemd/system/docker.service.d/wcs-node.conf`], { encoding: 'utf8' })).toContain(`ExecStartPre=-/bin/rm -rf ${node.root}/run/wcs-node`);
      await node.restartDockerd(() => rmSync(`${node.root}/run/wcs-node`, { recursive: true, force: true }));
      // dockerd restarts the holders (fresh namespaces, no route yet) but cannot start WCS before the route's marker
      // exists (or, restoring in parallel, before its holder runs): a start error, which the guard retries.
      for (const i of [0, 1]) {
        expect(node.docker('inspect', '-f', '{{.State.Running}}', `wcs-hold-${i}`)).toBe('true');
        expect(node.docker('inspect', '-f', '{{.State.Running}} {{.State.Error}}', `wcs-${i}`)).toMatch(new RegExp(`^false .*(imds-${i}|cannot join network of a non running container)`));
      }
      // The guard timer routes the holders, then (this boot's NodeReady being out) starts the WCS containers whose start failed.
      expect((await node.run(script!, ['guard'])).code).toBe(0);
      for (const i of [0, 1]) expect(imdsFrom(`wcs-${i}`)).toMatch(/can't connect.*Permission denied/);
      const result = await node.run(script!, args);
      expect(result.stderr).not.toContain('ERROR');
      expect(result.code).toBe(0);
      expect(node.docker('ps', '--no-trunc', '--format', '{{.Names}}={{.ID}}').split('\n').sort()).toEqual(ids);
      for (const i of [0, 1]) expect(imdsFrom(`wcs-${i}`)).toMatch(/can't connect.*Permission denied/);
      expect(ready(node.events())).toHaveLength(3);
    }, 120_000);

    it('comes back after a stop and start with new Elastic IPs: holders kept, WCS re-created with the new ip, same cpusets and private IPs, NodeReady again', async (ctx) => {
      needEngine(ctx);
      const unit = execFileSync('cat', [`${node.root}/etc/systemd/system/wcs-node.service`], { encoding: 'utf8' });
      const [script, ...args] = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(' ');
      const holders = [0, 1].map((i) => node.docker('inspect', '-f', '{{.Id}}', `wcs-hold-${i}`));
      const wcsIds = [0, 1].map((i) => node.docker('inspect', '-f', '{{.Id}}', `wcs-${i}`));
      const cpusets = [0, 1].map((i) => cpusetOf(`wcs-${i}`));
      const readyBefore = ready(node.events()).length;
      // The pool released the addresses on stop (warmPool.releaseAddressesOnStop); new ones are associated on start.
      node.setFixture(fixture({ associations: NEW_EIPS }));
      // Stop: dockerd stops every container; the reboot empties /run (a tmpfs), the ready marker too.
      await node.restartDockerd(() => rmSync(`${node.root}/run`, { recursive: true, force: true }));
      // The guard timer (5 s after boot) may run before the boot unit: it routes the holders' new namespaces
      // but leaves WCS, which still has the old address, to the boot unit.
      expect((await node.run(script!, ['guard'])).code).toBe(0);
      for (const i of [0, 1]) {
        expect(node.exec(`wcs-hold-${i}`, 'ip', 'route')).toMatch(/prohibit 169\.254\.169\.254/);
        expect(node.docker('inspect', '-f', '{{.State.Running}}', `wcs-${i}`)).toBe('false');
      }

      const result = await node.run(script!, args);

      expect(result.stderr).not.toContain('ERROR');
      expect(result.stderr).toMatch(/wcs-node\[bootstrap\]: boot$/m);
      expect(result.code).toBe(0);
      ORDERED.forEach((priv, i) => {
        const name = `wcs-${i}`;
        const pub = NEW_PUBLIC_OF(priv);
        // The holder (IP, netns) is the same container; WCS is a new one, in the holder's netns, with the new address.
        expect(node.docker('inspect', '-f', '{{.Id}}', `wcs-hold-${i}`)).toBe(holders[i]);
        expect(node.docker('inspect', '-f', '{{.Id}}', name)).not.toBe(wcsIds[i]);
        expect(node.exec(name, 'readlink', '/proc/1/ns/net')).toBe(node.exec(`wcs-hold-${i}`, 'readlink', '/proc/1/ns/net'));
        expect(node.exec(name, 'ip', '-4', '-o', 'addr', 'show', 'eth0')).toContain(` ${priv}/${SUBNET.prefix} `);
        expect(cpusetOf(name)).toBe(cpusets[i]);
        expect(node.exec(name, 'sh', '-c', 'echo $EXTERNAL_IP')).toBe(pub);
        const props = node.exec(name, 'cat', `${WCS_CONF}/flashphoner.properties`);
        expect(linesOf(props, 'ip')).toEqual([`ip=${pub}`]);
        expect(linesOf(props, 'ip_local')).toEqual([`ip_local=${priv}`]);
        expect(imdsFrom(name)).toMatch(/can't connect.*Permission denied/);
        expect(node.docker('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.CapDrop}}', name)).toBe('unless-stopped [NET_RAW]');
      });
      const all = ready(node.events());
      expect(all).toHaveLength(readyBefore + 1);
      expect(all.at(-1)!.containers).toEqual(ORDERED.map((privateIp, index) => ({ index, privateIp, publicIp: NEW_PUBLIC_OF(privateIp), cpuset: parseCpuList(cpusets[index]!).join(',') })));
    }, 120_000);

    it('comes back after a resume from hibernation: the resume unit re-runs the boot unit, which checks health and puts NodeReady, restarting nothing', async (ctx) => {
      needEngine(ctx);
      const resumeUnit = execFileSync('cat', [`${node.root}/etc/systemd/system/wcs-node-resume.service`], { encoding: 'utf8' });
      expect(resumeUnit).toMatch(/^ExecStop=\/usr\/bin\/systemctl start --no-block wcs-node\.service$/m);
      expect(resumeUnit).toMatch(/^WantedBy=sleep\.target$/m);
      expect(execFileSync('cat', [node.systemctlFile], { encoding: 'utf8' })).toMatch(/^enable wcs-node\.service wcs-node-resume\.service$/m);
      const [script, ...args] = /^ExecStart=(.+)$/m.exec(execFileSync('cat', [`${node.root}/etc/systemd/system/wcs-node.service`], { encoding: 'utf8' }))![1]!.split(' ');
      // Hibernation keeps RAM: the same processes (pids), the same namespaces, /run as it was.
      const processes = () => node.docker('ps', '--no-trunc', '--format', '{{.Names}}').split('\n').sort().map((n) => `${n}=${node.docker('inspect', '-f', '{{.Id}} {{.State.Pid}}', n)}`);
      const before = processes();
      const readyBefore = ready(node.events()).length;

      const result = await node.run(script!, args);

      expect(result.stderr).not.toContain('ERROR');
      expect(result.stderr).toMatch(/wcs-node\[bootstrap\]: resume \(or re-run\)$/m);
      expect(result.code).toBe(0);
      expect(processes()).toEqual(before);
      for (const i of [0, 1]) expect(imdsFrom(`wcs-${i}`)).toMatch(/can't connect.*Permission denied/);
      expect(ready(node.events())).toHaveLength(readyBefore + 1);
      expect(ready(node.events()).at(-1)).toEqual(ready(node.events()).at(-2));

      // Resumed with other Elastic IPs (released on the hibernating stop): only WCS is re-created; the holder's
      // netns, never left, keeps its route.
      node.setFixture(fixture());
      const again = await node.run(script!, args);
      expect(again.code).toBe(0);
      const after = processes();
      expect(after.filter((p) => p.startsWith('wcs-hold-'))).toEqual(before.filter((p) => p.startsWith('wcs-hold-')));
      expect(after.filter((p) => !p.startsWith('wcs-hold-'))).not.toEqual(before.filter((p) => !p.startsWith('wcs-hold-')));
      ORDERED.forEach((priv, i) => {
        expect(linesOf(node.exec(`wcs-${i}`, 'cat', `${WCS_CONF}/flashphoner.properties`), 'ip')).toEqual([`ip=${PUBLIC_OF(priv)}`]);
        expect(imdsFrom(`wcs-${i}`)).toMatch(/can't connect.*Permission denied/);
      });
      expect(ready(node.events()).at(-1)!.containers.map((c) => c.publicIp)).toEqual(ORDERED.map(PUBLIC_OF));
    }, 120_000);
  });

  describe('private-only containers (publicAddressing: none)', () => {
    let result: { code: number; stderr: string };
    beforeAll(async () => {
      if (startError) return;
      node.reset();
      // No Elastic IP anywhere: the script must not wait for one.
      node.setFixture(fixture({ associations: {} }));
      result = await node.runUserData(render({ publicAddressing: 'none', elasticIpWaitSeconds: 1800 }), { WCS_EIP_WAIT: '1800' });
    }, 150_000);

    it('boots without Elastic IPs: WCS ip is the private IP, NodeReady has no publicIp', (ctx) => {
      needEngine(ctx);
      expect(result.stderr).not.toContain('ERROR');
      expect(result.code).toBe(0);
      const [detail] = ready(node.events());
      expect(detail!.containers.map((c) => [c.index, c.privateIp, c.publicIp])).toEqual(ORDERED.map((ip, i) => [i, ip, undefined]));
      expect(JSON.stringify(node.events()[0]!.Detail)).not.toContain('publicIp');
      ORDERED.forEach((priv, i) => {
        const props = node.exec(`wcs-${i}`, 'cat', `${WCS_CONF}/flashphoner.properties`);
        expect(linesOf(props, 'ip')).toEqual([`ip=${priv}`]);
        expect(linesOf(props, 'ip_local')).toEqual([`ip_local=${priv}`]);
      });
    });

    it('leaves the host its primary IP and default route (egress for image pulls, SSM, EventBridge)', (ctx) => {
      needEngine(ctx);
      expect(node.inNode('ip', '-4', '-o', 'addr', 'show', 'dev', 'ens5')).toContain(`${SUBNET.primary}/${SUBNET.prefix}`);
      expect(node.inNode('ip', 'route', 'get', '192.0.2.1')).toContain(`via ${SUBNET.gateway} dev ens5 src ${SUBNET.primary}`);
      expect(node.inNode('curl', '-sS', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', 'http://169.254.169.254/latest/meta-data/')).toBe('401');
    });
  });

  describe('every failing step puts NodeUnhealthy with the step and the last error line', () => {
    const failing: {
      step: string;
      why: string;
      settings?: Partial<NodeSettings>;
      pool?: PoolConfig;
      env?: Record<string, string>;
      before?: () => void;
      after?: () => void;
      error: RegExp;
      container?: number;
    }[] = [
      { step: 'image pull', why: 'the image is in no reachable registry', settings: { image: IMAGES.missing }, error: /connection refused|dial tcp|Get "https?:\/\/127\.0\.0\.1:5999/i },
      {
        step: 'network create',
        why: 'another network already holds the subnet',
        before: () => node.docker('network', 'create', '-d', 'macvlan', '-o', 'parent=ens5', '--subnet', SUBNET.cidr, 'squatter'),
        after: () => node.docker('network', 'rm', 'squatter'),
        error: /overlap/i,
      },
      {
        step: 'container create',
        why: 'the host reserve leaves each container under the engine minimum memory',
        pool: PoolConfigSchema.parse({ name: 'media', containersPerNode: 2, memoryMiB: 1024 }),
        settings: { hostMemoryMiB: 1020, heapMiB: 256 },
        error: /Minimum memory limit/i,
        container: 0,
      },
      { step: 'config copy', why: 'the image has no WCS conf directory', settings: { image: IMAGES.noConf }, error: /Could not find the file|No such/i, container: 0 },
      { step: 'container start', why: 'the image entrypoint does not exist', settings: { image: IMAGES.noExec }, error: /no such file|not found|exec/i, container: 0 },
      { step: 'health timeout', why: 'WCS never answers /?action=stat', settings: { image: IMAGES.mute }, env: { WCS_HEALTH_TIMEOUT: '3' }, error: /curl: \(7\)|Failed to connect|Connection refused/i, container: 0 },
    ];

    it.for(failing)('$step ($why)', { timeout: 120_000 }, async ({ step, settings, pool, env, before, after, error, container }, ctx) => {
      needEngine(ctx);
      node.reset();
      node.setFixture(fixture());
      before?.();
      try {
        const result = await node.runUserData(render(settings, pool), env);
        expect(result.code).not.toBe(0);
        const events = node.events();
        expect(events.map((e) => [e.Source, e.DetailType])).toEqual([[SOURCE, 'NodeUnhealthy']]);
        const [detail] = unhealthy(events);
        expect(detail!.instanceId).toBe(INSTANCE_ID);
        expect(detail!.reason.startsWith(`${step}: `)).toBe(true);
        expect(detail!.reason).toMatch(error);
        expect(detail!.container).toBe(container);
      } finally {
        after?.();
      }
    });
  });
});
