/**
 * Test harness of the node bootstrap: runs the rendered script with bash against a stub IMDS
 * (and WCS statistics page) on 127.0.0.1 and stub `docker`, `ip`, `nsenter`, `lscpu`, `aws`, `systemctl`
 * on a PATH that holds nothing else but the allowed real tools (bash, coreutils, curl, awk,
 * sed, grep), so a command outside the allowed list fails the run.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogicalCpu } from '../../shared/domain/cpusets.ts';

/** What the stub IMDS serves. */
export interface ImdsFixture {
  instanceId: string;
  mac: string;
  /** Primary private IP first, then the secondary private IPs. */
  localIps: string[];
  cidr: string;
  /** Elastic IP → private IP, as `ipv4-associations/` shows them. */
  associations: Record<string, string>;
  /** HTTP status of WCS `/?action=stat`. */
  statStatus: number;
  /** Account, region and partition of the instance (identity document, `services/partition`). */
  accountId?: string;
  region?: string;
  partition?: string;
}

/** The instance identity document as IMDS serves it: pretty-printed JSON, one key per line. */
export function identityDocument(f: { instanceId: string; accountId?: string; region?: string }): string {
  const region = f.region ?? 'eu-central-1';
  const doc = { accountId: f.accountId ?? '123456789012', architecture: 'x86_64', availabilityZone: `${region}a`, imageId: 'ami-0123456789abcdef0', instanceId: f.instanceId, instanceType: 'c6i.4xlarge', pendingTime: '2026-12-06T05:00:00Z', privateIp: '10.0.0.10', region, version: '2017-09-30' };
  return JSON.stringify(doc, null, 2).replace(/": /g, '" : ');
}

/** A stub IMDS + WCS stat server bound to 127.0.0.1 on a free port. */
export class StubServer {
  public readonly requests: { method: string; url: string; token: string | undefined }[] = [];
  private server: Server | undefined;
  public port = 0;

  public constructor(public fixture: ImdsFixture) {}

  public async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = req.url ?? '/';
      const token = req.headers['x-aws-ec2-metadata-token'] as string | undefined;
      this.requests.push({ method: req.method ?? 'GET', url, token });
      const send = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(body);
      };
      if (url === '/?action=stat') {
        return send(this.fixture.statStatus, 'connections=3\nstreams_webrtc_in=2\nstreams_webrtc_out=5\n-----Port stats-----\nports_media_busy=14\n');
      }
      if (url === '/latest/api/token') {
        return req.method === 'PUT' && req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ? send(200, 'stub-token') : send(400, 'bad');
      }
      if (token !== 'stub-token') return send(401, 'IMDSv2 token required');
      const f = this.fixture;
      const base = `/latest/meta-data/network/interfaces/macs/${f.mac}/`;
      const routes: Record<string, string> = {
        // An empty fixture id stands for an IMDS that cannot answer it (404).
        ...(f.instanceId ? { '/latest/meta-data/instance-id': f.instanceId } : {}),
        '/latest/meta-data/mac': f.mac,
        '/latest/meta-data/local-ipv4': f.localIps[0] ?? '',
        [`${base}local-ipv4s`]: f.localIps.join('\n'),
        [`${base}subnet-ipv4-cidr-block`]: f.cidr,
        '/latest/dynamic/instance-identity/document': identityDocument(f),
        '/latest/meta-data/services/partition': f.partition ?? 'aws',
      };
      const pubs = Object.keys(f.associations);
      if (pubs.length > 0) routes[`${base}ipv4-associations/`] = pubs.join('\n');
      for (const [pub, priv] of Object.entries(f.associations)) routes[`${base}ipv4-associations/${pub}`] = priv;
      const body = routes[url];
      return body === undefined ? send(404, 'Not Found') : send(200, body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Stubbed node commands, kept as scripts next to this file. */
const STUBS = ['docker', 'ip', 'lscpu', 'aws', 'systemctl', 'nsenter'];
const STUB_DIR = fileURLToPath(new URL('./stubs/', import.meta.url));

/** Real tools the node may use (besides coreutils), linked into the harness PATH. */
const ALLOWED_REAL = ['bash', 'curl', 'awk', 'mawk', 'sed', 'grep'];

/** coreutils binaries, linked into the harness PATH. */
const COREUTILS = [
  'basename', 'cat', 'chmod', 'cp', 'cut', 'date', 'dirname', 'echo', 'env', 'false', 'head', 'id', 'ln', 'ls', 'mkdir',
  'mktemp', 'mv', 'printf', 'readlink', 'rm', 'seq', 'sleep', 'sort', 'tail', 'tee', 'touch', 'tr', 'true', 'uniq', 'wc',
];

function which(tool: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) if (existsSync(join(dir, tool))) return join(dir, tool);
  return undefined;
}

/** One recorded stub call: the command and its arguments. */
export interface Call {
  readonly cmd: string;
  readonly args: readonly string[];
}

/** Result of one run of the script. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary node: root directory, PATH of stubs, recorded calls. */
export class FakeNode {
  public readonly dir = mkdtempSync(join(tmpdir(), 'wcs-node-'));
  public readonly root = join(this.dir, 'root');
  public readonly bin = join(this.dir, 'bin');
  public readonly state = join(this.dir, 'state');
  public readonly log = join(this.dir, 'calls.log');
  public readonly license = 'LICENSE-SECRET-7f3a9c';
  public readonly password = 'PASSWORD-SECRET-b81e2d';

  public constructor(public readonly server: StubServer, topology: readonly LogicalCpu[]) {
    for (const d of [this.root, this.bin, this.state]) mkdirSync(d, { recursive: true });
    for (const tool of [...ALLOWED_REAL, ...COREUTILS]) {
      const real = which(tool);
      if (real) symlinkSync(real, join(this.bin, tool));
    }
    for (const name of STUBS) {
      const path = join(this.bin, name);
      const body = readFileSync(join(STUB_DIR, name), 'utf8').replace(/^#!.*\n/, '');
      writeFileSync(path, `#!/bin/bash\n{ printf '%s' ${name}; printf '\\t%s' "$@"; echo; } >>"$STUB_LOG"\n${body}`);
      chmodSync(path, 0o755);
    }
    const lines = topology.map((c) => `${c.cpu},${c.core},${c.socket}`);
    writeFileSync(join(this.state, 'lscpu'), `# The following is the parsable format\n# CPU,Core,Socket\n${lines.join('\n')}\n`);
  }

  /** Addresses `ip -o -4 addr show dev ens5` lists (as ec2-net-utils would have added them). */
  public setHostAddresses(addrs: readonly string[]): void {
    writeFileSync(join(this.state, 'addrs'), addrs.map((a, i) => `2: ens5    inet ${a} brd 10.0.1.255 scope global ${i ? 'secondary ' : ''}ens5\n`).join(''));
  }

  /** Run a script file with bash in the fake node's environment. */
  public async run(script: string, args: readonly string[] = [], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      execFile(
        join(this.bin, 'bash'),
        [script, ...args],
        {
          env: {
            PATH: this.bin,
            WCS_ROOT: this.root,
            WCS_IMDS_ENDPOINT: `http://127.0.0.1:${this.server.port}`,
            WCS_POLL_SECONDS: '0.1',
            WCS_HEALTH_TIMEOUT: '1',
            WCS_EIP_WAIT: '1',
            STUB_LOG: this.log,
            STUB_STATE: this.state,
            STUB_MAC: this.server.fixture.mac,
            STUB_LICENSE: this.license,
            STUB_PASSWORD: this.password,
            ...extraEnv,
          },
          timeout: 30_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Write the user-data to a file (as cloud-init does) and run it. */
  public async runUserData(userData: string, extraEnv: Record<string, string> = {}): Promise<RunResult> {
    const path = join(this.dir, 'part-001');
    writeFileSync(path, userData, { mode: 0o700 });
    return this.run(path, [], extraEnv);
  }

  /** Every stub call so far, in order. */
  public calls(): Call[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [cmd = '', ...args] = line.split('\t');
        return { cmd, args };
      });
  }

  /** Read a file under the fake root. */
  public file(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
  }

  public exists(path: string): boolean {
    return existsSync(join(this.root, path));
  }

  public list(path: string): string[] {
    return existsSync(join(this.root, path)) ? readdirSync(join(this.root, path)) : [];
  }

  public cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The value following `flag` in an argument list. */
export function argAfter(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The parsed `Entries` of every `aws events put-events` call. */
export function putEvents(calls: readonly Call[]): { Source: string; DetailType: string; EventBusName: string; Detail: unknown }[] {
  return calls
    .filter((c) => c.cmd === 'aws' && c.args[0] === 'events' && c.args[1] === 'put-events')
    .flatMap((c) => JSON.parse(argAfter(c.args, '--entries') ?? '[]') as { Source: string; DetailType: string; EventBusName: string; Detail: string }[])
    .map((e) => ({ ...e, Detail: JSON.parse(e.Detail) as unknown }));
}
