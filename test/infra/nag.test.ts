import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../infra/config.ts';
import { addFleet, type Fleet } from '../../infra/fleet-app.ts';
import { fleetNagAcknowledgements } from '../../infra/nag.ts';
import { REPOSITORY_ROOT } from '../../infra/constructs/autoscaler-function.ts';
import { TEST_BOOTSTRAP_TEMPLATE } from './support.ts';

describe('cdk-nag on the app', () => {
  let app: App;
  let fleet: Fleet;

  beforeAll(() => {
    app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    fleet = addFleet(app, parseDeploymentConfig({ fleetName: 'nag' }), { bootstrapTemplate: TEST_BOOTSTRAP_TEMPLATE });
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    // Prepare: a queue without SSE-enforced transport, next to the fleet's stacks
    const extra = new Stack(app, 'unacknowledged');
    new sqs.Queue(extra, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    // Act / Assess
    expect(() => app.synth({ force: true })).toThrow(/AwsSolutions-SQS/);
  });

  it('acknowledges single findings only, each with a reason', () => {
    // Act
    const acks = fleetNagAcknowledgements(fleet);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length, ack.id).toBeGreaterThanOrEqual(60);
      if (ack.id.includes('IAM5') || ack.id.includes('IAM4')) expect(ack.id, 'IAM findings are acknowledged one resource at a time').toMatch(/\[(Resource|Policy)::.+\]$/);
    }
    expect(acks.filter((a) => a.id === 'AwsSolutions::AwsSolutions-IAM5[Resource::*]').every((a) => !(a.scope instanceof Stack))).toBe(true);
  });
});

describe('infra/app.ts', () => {
  it('exits 1 and names the invalid field when the configuration does not validate', () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'wcs-cdk-out-'));
    const context = { wcsAutoscaler: { autoscaler: { pools: [{ name: 'default', maxNodes: 0 }] }, access: { operatorCidrs: ['0.0.0.0/0'] } } };

    // Act
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      encoding: 'utf8',
    });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('autoscaler.pools.0.maxNodes');
    expect(run.stderr).toContain('access.operatorCidrs.0: the REST port must not be open to the world');
  });
});
