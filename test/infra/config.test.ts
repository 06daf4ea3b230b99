import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_CONTEXT_KEY,
  CONFIG_FILE_CONTEXT_KEY,
  DeploymentConfigError,
  isArm64InstanceType,
  loadDeploymentConfig,
  parseDeploymentConfig,
  secretParameterNames,
} from '../../infra/config.ts';
import { DEFAULT_NODE_SETTINGS } from '../../shared/bootstrap/parameters.ts';

function issuesOf(input: unknown): readonly string[] {
  try {
    parseDeploymentConfig(input);
  } catch (error) {
    if (error instanceof DeploymentConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('Function: parseDeploymentConfig', () => {
  it('gives a deployable single-pool fleet in a new VPC when nothing is configured', () => {
    // Act
    const config = parseDeploymentConfig(undefined);

    // Assess
    expect(config.fleetName).toBe('default');
    expect(config.configParameter).toBe('/wcs-autoscaler/default/config');
    expect(config.autoscaler.pools.map((p) => p.name)).toEqual(['default']);
    expect(config.nodeSettings.default).toEqual(DEFAULT_NODE_SETTINGS);
    expect(config.network).toEqual({ vpcCidr: '10.60.0.0/16', maxAzs: 2, vpcEndpoints: false, ecrEndpoints: false });
    expect(config.access.operatorCidrs).toEqual([]);
    expect(config.secrets).toEqual({
      licenseParameter: '/wcs-autoscaler/default/secrets/wcs-license',
      passwordParameter: '/wcs-autoscaler/default/secrets/wcs-password',
    });
  });

  it.each([
    [{ autoscaler: { pools: [{ name: 'default', maxNodes: 0 }] } }, 'autoscaler.pools.0.maxNodes'],
    [{ autoscaler: { pools: [{ name: 'default', minNodes: 5, maxNodes: 2 }] } }, 'autoscaler.pools.0.minNodes'],
    [{ autoscaler: { defaultPool: 'nope' } }, 'autoscaler.defaultPool'],
    [{ nodeSettings: { default: { image: 'flashphoner/webcallserver:latest' } } }, 'nodeSettings.default.image'],
    [{ nodeSettings: { ghost: {} } }, 'nodeSettings.ghost'],
    [{ access: { operatorCidrs: ['0.0.0.0/0'] } }, 'access.operatorCidrs.0'],
    [{ access: { clientCidrs: ['10.0.0.300/8'] } }, 'access.clientCidrs.0'],
    [{ network: { vpcId: 'vpc-0abc1234' } }, 'network.vpcId'],
    [{ network: { subnetIds: ['subnet-0abc1234'] } }, 'network.subnetIds'],
    [{ fleetName: 'Prod_1' }, 'fleetName'],
    [{ functions: { logRetentionDays: 10 } }, 'functions.logRetentionDays'],
    [{ node: { architecture: 'arm64' } }, 'autoscaler.pools.0.instanceTypes.0'],
    [{ unknownKey: 1 }, '(root)'],
    [{ node: { elasticIpPool: ['eip-1'] } }, 'node.elasticIpPool.0'],
    [{ node: { requireImageDigest: true } }, 'nodeSettings.default.image'],
    [{ access: { operatorRoleArns: ['arn:aws:iam::123456789012:user/ops'] } }, 'access.operatorRoleArns.0'],
    [{ access: { nodeEventSender: 'sometimes' } }, 'access.nodeEventSender'],
    [{ functions: { reservedConcurrency: { sweep: 0 } } }, 'functions.reservedConcurrency.sweep'],
  ])('names the field of %j', (input, field) => {
    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues.some((i) => i.startsWith(`${field}:`)), issues.join('\n')).toBe(true);
  });

  it('accepts an image pinned by digest when node.requireImageDigest is set', () => {
    // Prepare
    const image = `registry.example.com/wcs@sha256:${'a'.repeat(64)}`;

    // Act
    const config = parseDeploymentConfig({ node: { requireImageDigest: true }, nodeSettings: { default: { image } } });

    // Assess
    expect(config.nodeSettings.default?.image).toBe(image);
  });

  it('accepts Graviton pools with the arm64 architecture', () => {
    // Act
    const config = parseDeploymentConfig({ node: { architecture: 'arm64' }, autoscaler: { pools: [{ name: 'default', instanceTypes: ['c7g.2xlarge', 'c6gn.2xlarge'] }] } });

    // Assess
    expect(config.node.architecture).toBe('arm64');
    expect(isArm64InstanceType('c6i.2xlarge')).toBe(false);
    expect(isArm64InstanceType('m6gd.2xlarge')).toBe(true);
  });

  it('lists every secret name the nodes read, including per-pool overrides, once', () => {
    // Prepare
    const config = parseDeploymentConfig({
      fleetName: 'prod',
      autoscaler: { pools: [{ name: 'a' }, { name: 'b' }], defaultPool: 'a' },
      nodeSettings: { b: { licenseParameter: '/tenant-b/wcs-license' } },
    });

    // Act
    const names = secretParameterNames(config);

    // Assess
    expect(names).toEqual(['/wcs-autoscaler/prod/secrets/wcs-license', '/wcs-autoscaler/prod/secrets/wcs-password', '/tenant-b/wcs-license']);
  });
});

describe('Function: loadDeploymentConfig', () => {
  it('merges the context object over the file, field by field', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'wcs-config-'));
    const file = join(dir, 'prod.json');
    writeFileSync(file, JSON.stringify({ fleetName: 'prod', access: { operatorCidrs: ['198.51.100.0/24'] }, functions: { memoryMiB: 1024 } }));
    const context: Record<string, unknown> = { [CONFIG_FILE_CONTEXT_KEY]: file, [CONFIG_CONTEXT_KEY]: JSON.stringify({ functions: { logRetentionDays: 90 } }) };

    // Act
    const config = loadDeploymentConfig((key) => context[key]);

    // Assess
    expect(config.fleetName).toBe('prod');
    expect(config.access.operatorCidrs).toEqual(['198.51.100.0/24']);
    expect(config.functions).toEqual({ memoryMiB: 1024, sweepMemoryMiB: 1769, logRetentionDays: 90, reservedConcurrency: { 'node-events': 5, sweep: 2 } });
  });

  it('says which file cannot be read or parsed', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'wcs-config-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');

    // Act / Assess
    expect(() => loadDeploymentConfig((k) => (k === CONFIG_FILE_CONTEXT_KEY ? join(dir, 'missing.json') : undefined))).toThrow(/cannot read .*missing\.json/);
    expect(() => loadDeploymentConfig((k) => (k === CONFIG_FILE_CONTEXT_KEY ? bad : undefined))).toThrow(/bad\.json: not valid JSON/);
  });
});
