/**
 * Real-engine harness of the node bootstrap: a media node in network namespaces, with a real
 * Docker daemon, a stand-in WCS image and a fake IMDSv2.
 *
 * Layout (every address lives in namespaces this harness creates; nothing reaches the host's
 * own network):
 * - `<id>-node`: the EC2 instance. `ens5` (a veth end with the fixture MAC) holds the primary
 *   IP, the default route points at the subnet gateway; dockerd runs here (`nsenter --net`, not
 *   `ip netns exec`, which remounts /sys and hides the cgroups).
 * - `<id>-imds`: the VPC side. The veth peer holds the gateway address and 169.254.169.254,
 *   where a fake IMDSv2 (token required) answers from a fixture file.
 * - Containers join a macvlan network on `ens5`: this kernel has no ipvlan driver, so the one
 *   substitution is a `docker` wrapper that rewrites the driver ipvlan → macvlan (and
 *   `ipvlan_mode` → `macvlan_mode=bridge`). Everything else the script runs is real except
 *   the `aws` and `systemctl` stubs (events and secrets land in files).
 *
 * Needs root, `dockerd`/`docker` (Debian docker.io), a static busybox (busybox-static), `ip`,
 * `nsenter`, `curl`, `lscpu`. {@link engineUnavailable} names what is missing.
 *
 * @module
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const STANDIN = join(HERE, 'standin');

/** Subnet of the fake VPC: RFC 2544 benchmarking space, never routed anywhere from here. */
export const SUBNET = { cidr: '198.18.7.0/24', gateway: '198.18.7.1', primary: '198.18.7.10', prefix: 24 } as const;
export const MAC = '0e:42:17:00:00:01';
export const INSTANCE_ID = 'i-0feed1234abcd5678';
/** Stand-in images: a registry name on loopback, so an accidental pull only ever dials 127.0.0.1. */
export const IMAGE_REPO = '127.0.0.1:5999/flashphoner/webcallserver';
export const IMAGES = {
  ok: `${IMAGE_REPO}:5.2.2199-standin`,
  noConf: `${IMAGE_REPO}:5.2.2199-noconf`,
  noExec: `${IMAGE_REPO}:5.2.2199-noexec`,
  mute: `${IMAGE_REPO}:5.2.2199-mute`,
  missing: `${IMAGE_REPO}:5.2.2199-absent`,
} as const;
export const WCS_CONF = '/usr/local/FlashphonerWebCallServer/conf';
export const LICENSE = 'LICENSE-REAL-ENGINE-5c1d';
export const PASSWORD = 'PASSWORD-REAL-ENGINE-93aa';

/** What the fake IMDS serves. */
export interface ImdsFixture {
  instanceId: string;
  mac: string;
  primaryIp: string;
  /** As `local-ipv4s` lists them (any order; the primary among them). */
  localIps: string[];
  cidr: string;
  /** Elastic IP → private IP. */
  associations: Record<string, string>;
  /** Identity document and `services/partition`. */
  accountId: string;
  region: string;
  partition: string;
}

/** Result of one script run. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One event the `aws events put-events` stub received. */
export interface PutEvent {
  readonly DetailType: string;
  readonly Source: string;
  readonly EventBusName: string;
  readonly Detail: unknown;
}

function which(tool: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (existsSync(join(dir, tool))) return join(dir, tool);
  return undefined;
}

/** Why the real engine cannot run here, or undefined when it can (root and every tool present). */
export function engineUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and dockerd)';
  const missing = ['dockerd', 'docker', 'ip', 'nsenter', 'curl', 'lscpu', 'bash'].filter((t) => !which(t));
  if (missing.length > 0 || !existsSync('/usr/bin/docker')) return `missing ${(existsSync('/usr/bin/docker') ? missing : [...missing, '/usr/bin/docker']).join(', ')} (apt-get install docker.io iproute2 util-linux curl)`;
  // The stand-in image is a static busybox: a dynamic one would need a loader and libc in the image.
  const busybox = which('busybox');
  if (!busybox || !isStaticElf(readFileSync(busybox))) return 'needs a static busybox (apt-get install busybox-static)';
  return undefined;
}

/** A 64-bit little-endian ELF without a PT_INTERP program header (no dynamic loader). */
function isStaticElf(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let i = 0; i < count; i++) if (elf.readUInt32LE(phoff + i * size) === 3) return false;
  return true;
}

function sh(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });
}

/** The node: namespaces, dockerd, fake IMDS, stubs. Call {@link start}, then {@link stop} (always). */
export class EngineNode {
  public readonly id = `wcsn${process.pid % 100000}`;
  public readonly dir = mkdtempSync('/var/tmp/wcs-engine-');
  public readonly nodeNs = `${this.id}-node`;
  public readonly imdsNs = `${this.id}-imds`;
  public readonly socket = join(this.dir, 'docker.sock');
  public readonly root = join(this.dir, 'root');
  public readonly bin = join(this.dir, 'bin');
  public readonly eventsFile = join(this.dir, 'events.jsonl');
  public readonly systemctlFile = join(this.dir, 'systemctl.log');
  private readonly fixtureFile = join(this.dir, 'imds.json');
  private dockerd: ChildProcess | undefined;
  private imds: ChildProcess | undefined;
  private stopped = false;
  private readonly onExit = () => this.stopSync();

  /** Start everything; throws with the reason when a piece cannot start. */
  public async start(fixture: ImdsFixture): Promise<void> {
    process.once('exit', this.onExit);
    mkdirSync(this.root, { recursive: true });
    this.setFixture(fixture);
    this.network();
    await this.startImds();
    await this.startDockerd();
    this.buildImages();
    this.writeTools();
  }

  public setFixture(fixture: ImdsFixture): void {
    writeFileSync(this.fixtureFile, JSON.stringify(fixture));
  }

  private network(): void {
    const ip = (...args: string[]) => sh('ip', args);
    ip('netns', 'add', this.nodeNs);
    ip('netns', 'add', this.imdsNs);
    // Both ends are created inside the namespaces: the host's own network is never touched.
    ip('-n', this.nodeNs, 'link', 'add', 'ens5', 'address', MAC, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', this.imdsNs);
    ip('-n', this.nodeNs, 'link', 'set', 'lo', 'up');
    ip('-n', this.nodeNs, 'addr', 'add', `${SUBNET.primary}/${SUBNET.prefix}`, 'dev', 'ens5');
    ip('-n', this.nodeNs, 'link', 'set', 'ens5', 'up');
    ip('-n', this.nodeNs, 'route', 'add', 'default', 'via', SUBNET.gateway);
    ip('-n', this.imdsNs, 'link', 'set', 'lo', 'up');
    ip('-n', this.imdsNs, 'addr', 'add', `${SUBNET.gateway}/${SUBNET.prefix}`, 'dev', 'gw0');
    ip('-n', this.imdsNs, 'addr', 'add', '169.254.169.254/32', 'dev', 'gw0');
    ip('-n', this.imdsNs, 'link', 'set', 'gw0', 'up');
  }

  private async startImds(): Promise<void> {
    const ready = join(this.dir, 'imds.ready');
    this.imds = spawn('ip', ['netns', 'exec', this.imdsNs, process.execPath, join(HERE, 'imds-server.mjs'), this.fixtureFile, ready], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    this.imds.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => existsSync(ready), 10_000, () => `fake IMDS did not start: ${err}`);
  }

  private async startDockerd(): Promise<void> {
    const log = join(this.dir, 'dockerd.log');
    const args = [
      `--net=/run/netns/${this.nodeNs}`, 'dockerd',
      '--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec'), '--pidfile', join(this.dir, 'dockerd.pid'),
      '-H', `unix://${this.socket}`, '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
      '--storage-driver=overlay2', '--userland-proxy=false', '--exec-opt', 'native.cgroupdriver=cgroupfs',
    ];
    const out = await import('node:fs').then((fs) => fs.openSync(log, 'a'));
    this.dockerd = spawn('nsenter', args, { stdio: ['ignore', out, out] });
    let exited = false;
    this.dockerd.on('exit', () => (exited = true));
    await waitFor(
      () => !exited && this.dockerOk(),
      30_000,
      () => `dockerd did not start: ${readFileSync(log, 'utf8').split('\n').filter(Boolean).slice(-3).join(' | ')}`,
      () => exited,
    );
  }

  private dockerOk(): boolean {
    try {
      this.docker('version', '--format', '{{.Server.Version}}');
      return true;
    } catch {
      return false;
    }
  }

  /** Stop dockerd (as a stopped instance does) and start it again on the same state; `between` runs while it is down. */
  public async restartDockerd(between: () => void = () => {}): Promise<void> {
    await this.stopDockerd();
    between();
    await this.startDockerd();
  }

  private async stopDockerd(): Promise<void> {
    const d = this.dockerd;
    if (!d || d.exitCode !== null || d.signalCode !== null) return;
    const done = new Promise<void>((resolve) => d.once('exit', () => resolve()));
    d.kill('SIGTERM');
    const timer = setTimeout(() => d.kill('SIGKILL'), 20_000);
    await done;
    clearTimeout(timer);
  }

  /** The real docker client against this node's daemon. */
  public docker(...args: string[]): string {
    return sh('/usr/bin/docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${this.socket}` } }).trim();
  }

  /** A command inside a running container (stdout; throws on a non-zero exit). */
  public exec(container: string, ...cmd: string[]): string {
    return this.docker('exec', container, ...cmd);
  }

  /** A command in the node's network namespace. */
  public inNode(cmd: string, ...args: string[]): string {
    return sh('nsenter', [`--net=/run/netns/${this.nodeNs}`, cmd, ...args]).trim();
  }

  private buildImages(): void {
    const rootfs = join(this.dir, 'rootfs');
    const wcs = join(rootfs, 'usr/local/FlashphonerWebCallServer');
    for (const d of ['bin', 'usr/bin', 'tmp', 'proc', 'sys', 'dev', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
    for (const d of ['conf', 'bin', 'logs']) mkdirSync(join(wcs, d), { recursive: true });
    copyFileSync(which('busybox')!, join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of sh(join(rootfs, 'bin/busybox'), ['--list']).split('\n').filter(Boolean)) {
      if (applet !== 'busybox' && !existsSync(join(rootfs, 'bin', applet))) symlinkSync('busybox', join(rootfs, 'bin', applet));
    }
    copyFileSync(join(STANDIN, 'flashphoner.properties'), join(wcs, 'conf/flashphoner.properties'));
    copyFileSync(join(STANDIN, 'wcs-core.properties'), join(wcs, 'conf/wcs-core.properties'));
    for (const [src, dst] of [['java', 'usr/bin/java'], ['stat.sh', 'usr/local/FlashphonerWebCallServer/bin/stat.sh'], ['entrypoint.sh', 'entrypoint.sh']] as const) {
      copyFileSync(join(STANDIN, src), join(rootfs, dst));
      chmodSync(join(rootfs, dst), 0o755);
    }
    const tar = join(this.dir, 'rootfs.tar');
    const tarNoConf = join(this.dir, 'rootfs-noconf.tar');
    sh('tar', ['-C', rootfs, '-cf', tar, '.']);
    sh('tar', ['-C', rootfs, '--exclude', './usr/local/FlashphonerWebCallServer/conf', '-cf', tarNoConf, '.']);
    const imp = (file: string, image: string, cmd: string) =>
      this.docker('import', '-c', 'ENV PATH=/bin:/usr/bin', '-c', `CMD ${cmd}`, file, image);
    imp(tar, IMAGES.ok, '["/entrypoint.sh"]');
    imp(tarNoConf, IMAGES.noConf, '["/entrypoint.sh"]');
    imp(tar, IMAGES.noExec, '["/opt/wcs-absent/bin/start"]');
    imp(tar, IMAGES.mute, '["sleep","3600"]');
  }

  /** `docker` wrapper (ipvlan → macvlan only), `aws` and `systemctl` stubs. */
  private writeTools(): void {
    mkdirSync(this.bin, { recursive: true });
    const tool = (name: string, body: string) => {
      writeFileSync(join(this.bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(this.bin, name), 0o755);
    };
    tool('docker', `# The one substitution: this kernel has no ipvlan driver, so the network is macvlan.
args=()
for a in "$@"; do
  case "$a" in
    ipvlan) args+=(macvlan) ;;
    ipvlan_mode=*) args+=(macvlan_mode=bridge) ;;
    *) args+=("$a") ;;
  esac
done
exec /usr/bin/docker "\${args[@]}"`);
    tool('aws', `# Stub of the AWS CLI: secrets from the test, events appended to a file.
case "$1 $2" in
  "ssm get-parameter")
    while (($#)); do [[ $1 == --name ]] && name=$2; shift; done
    case "$name" in *license*) echo "${LICENSE}" ;; *password*) echo "${PASSWORD}" ;; *) echo "An error occurred (ParameterNotFound)" >&2; exit 254 ;; esac ;;
  "events put-events")
    while (($#)); do [[ $1 == --entries ]] && printf '%s\\n' "$2" >>"${this.eventsFile}"; shift; done
    echo '{"FailedEntryCount":0}' ;;
  "cloudwatch put-metric-data") ;;
  *) echo "aws stub: unexpected $*" >&2; exit 2 ;;
esac`);
    tool('systemctl', `# Stub: there is no systemd here; calls are recorded, masks leave a mark.
printf '%s\\n' "$*" >>"${this.systemctlFile}"
exit 0`);
  }

  /** Run a script as the node would (root, in the node's netns, real tools, stubbed aws/systemctl). */
  public run(script: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        'nsenter',
        [`--net=/run/netns/${this.nodeNs}`, 'bash', script, ...args],
        {
          env: {
            PATH: `${this.bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
            DOCKER_HOST: `unix://${this.socket}`,
            WCS_ROOT: this.root,
            WCS_NO_JOURNAL: '1',
            WCS_POLL_SECONDS: '0.2',
            WCS_HEALTH_TIMEOUT: '30',
            WCS_EIP_WAIT: '4',
            ...env,
          },
          timeout: 120_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  /** Write the user-data to a file, as cloud-init does, and run it. */
  public runUserData(userData: string, env: Record<string, string> = {}): Promise<RunResult> {
    const path = join(this.dir, 'part-001');
    writeFileSync(path, userData, { mode: 0o700 });
    return this.run(path, [], env);
  }

  /** Every event put so far. */
  public events(): PutEvent[] {
    if (!existsSync(this.eventsFile)) return [];
    return readFileSync(this.eventsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => JSON.parse(line) as { DetailType: string; Source: string; EventBusName: string; Detail: string }[])
      .map((e) => ({ ...e, Detail: JSON.parse(e.Detail) as unknown }));
  }

  /** Forget the node's containers, network, files and events: the next run is a first boot. */
  public reset(): void {
    const ids = this.docker('ps', '-aq').split('\n').filter(Boolean);
    if (ids.length > 0) this.docker('rm', '-f', ...ids);
    for (const net of this.docker('network', 'ls', '--filter', 'driver=macvlan', '-q').split('\n').filter(Boolean)) this.docker('network', 'rm', net);
    rmSync(this.root, { recursive: true, force: true });
    mkdirSync(this.root, { recursive: true });
    rmSync(this.eventsFile, { force: true });
    rmSync(this.systemctlFile, { force: true });
  }

  /** Stop dockerd, the fake IMDS, delete the namespaces and files. Safe to call twice. */
  public async stop(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.dockerd && this.dockerd.exitCode === null) {
        try {
          const ids = this.docker('ps', '-aq').split('\n').filter(Boolean);
          if (ids.length > 0) this.docker('rm', '-f', ...ids);
        } catch {
          // the daemon may already be gone; stopSync cleans what is left
        }
      }
      await this.stopDockerd();
    } finally {
      this.stopSync();
    }
  }

  private stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.onExit);
    const quiet = (f: () => unknown) => {
      try {
        f();
      } catch {
        // best effort: cleanup goes on
      }
    };
    if (this.dockerd && this.dockerd.exitCode === null && this.dockerd.signalCode === null) quiet(() => this.dockerd!.kill('SIGKILL'));
    if (this.imds && this.imds.exitCode === null) quiet(() => this.imds!.kill('SIGKILL'));
    // Leftover processes started under this directory (containerd, shims, container processes).
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      quiet(() => {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.dir)) process.kill(Number(pid), 'SIGKILL');
      });
    }
    // Mounts dockerd left under this directory (overlay layers, netns bind mounts), deepest first.
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(this.dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) quiet(() => execFileSync('umount', ['-l', m], { stdio: 'ignore' }));
    quiet(() => execFileSync('ip', ['netns', 'del', this.nodeNs], { stdio: 'ignore' }));
    quiet(() => execFileSync('ip', ['netns', 'del', this.imdsNs], { stdio: 'ignore' }));
    quiet(() => rmSync(this.dir, { recursive: true, force: true }));
  }
}

async function waitFor(ok: () => boolean, timeoutMs: number, why: () => string, giveUp: () => boolean = () => false): Promise<void> {
  for (let waited = 0; ; waited += 100) {
    if (ok()) return;
    if (giveUp() || waited >= timeoutMs) throw new Error(why());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Parse a cpuset list such as `0-2,5` into CPU numbers. */
export function parseCpuList(list: string): number[] {
  return list
    .trim()
    .split(',')
    .filter(Boolean)
    .flatMap((part) => {
      const [a, b] = part.split('-').map(Number);
      return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
    });
}
