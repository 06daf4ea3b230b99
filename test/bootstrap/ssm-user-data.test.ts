import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmConfigSource } from '../../shared/adapters/ssm-config-source.ts';
import { encodeTemplate, readBootstrapTemplate } from '../../shared/bootstrap/parameters.ts';
import { renderUserData } from '../../shared/bootstrap/render.ts';
import { PoolConfigSchema } from '../../shared/domain/config.ts';
import { DEFAULT_NODE_SETTINGS, parseNodeSettings } from '../../shared/bootstrap/parameters.ts';
import { ConfigSourceError } from '../../shared/errors.ts';

const ssmMock = mockClient(SSMClient);
const TARGET = { fleet: 'prod', eventBusName: 'wcs-autoscaler-prod', nodeSource: 'wcs-autoscaler.node', metricsNamespace: 'WcsAutoscaler', region: 'eu-central-1' };
const CONFIG = { pools: [{ name: 'media', containersPerNode: 4 }], defaultPool: 'media' };

function source(now = { t: 0 }) {
  return new SsmConfigSource({ client: new SSMClient({}), configParameter: '/wcs-autoscaler/prod/config', clock: { now: () => now.t }, bootstrap: TARGET });
}

describe('Class: SsmConfigSource (bootstrap rendering)', () => {
  beforeEach(() => {
    ssmMock.reset();
    ssmMock.on(GetParameterCommand, { Name: '/wcs-autoscaler/prod/config' }).resolves({ Parameter: { Value: JSON.stringify(CONFIG) } });
    ssmMock.on(GetParameterCommand, { Name: '/wcs-autoscaler/prod/bootstrap/template' }).resolves({ Parameter: { Value: encodeTemplate(readBootstrapTemplate()) } });
  });

  it('renders the decoded template with the pool and its node settings, reading each parameter once per TTL', async () => {
    // Prepare
    ssmMock.on(GetParameterCommand, { Name: '/wcs-autoscaler/prod/pools/media/node-settings' }).resolves({ Parameter: { Value: '{"reserveHostCore":true}' } });
    const config = source();

    // Act
    const first = await config.getUserData('media');
    const second = await config.getUserData('media');

    // Assess
    const expected = renderUserData({
      template: readBootstrapTemplate(),
      pool: PoolConfigSchema.parse(CONFIG.pools[0]),
      settings: parseNodeSettings({ reserveHostCore: true }),
      target: { ...TARGET, configParameter: '/wcs-autoscaler/prod/config' },
    });
    expect(first).toBe(expected);
    expect(second).toBe(first);
    expect(first).toContain("RESERVE_HOST_CORE='1'");
    expect(first).toContain("CONTAINERS='4'");
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 3);
    expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/wcs-autoscaler/prod/bootstrap/template', WithDecryption: false });
  });

  it('uses the default node settings when the pool has no parameter', async () => {
    ssmMock.on(GetParameterCommand, { Name: '/wcs-autoscaler/prod/pools/media/node-settings' }).rejects(new ParameterNotFound({ message: 'x', $metadata: {} }));

    const userData = await source().getUserData('media');

    expect(userData).toContain(`IMAGE='${DEFAULT_NODE_SETTINGS.image}'`);
  });

  it('throws ConfigSourceError naming the parameter for invalid node settings', async () => {
    ssmMock.on(GetParameterCommand, { Name: '/wcs-autoscaler/prod/pools/media/node-settings' }).resolves({ Parameter: { Value: '{"image":"flashphoner/webcallserver:latest"}' } });

    const error = await source().getUserData('media').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigSourceError);
    expect((error as ConfigSourceError).parameter).toBe('/wcs-autoscaler/prod/pools/media/node-settings');
  });

  it('throws ConfigSourceError when the template parameter is missing', async () => {
    ssmMock.on(GetParameterCommand, { Name: '/wcs-autoscaler/prod/pools/media/node-settings' }).resolves({ Parameter: { Value: '{}' } });
    ssmMock.on(GetParameterCommand, { Name: '/wcs-autoscaler/prod/bootstrap/template' }).rejects(new ParameterNotFound({ message: 'x', $metadata: {} }));

    await expect(source().getUserData('media')).rejects.toMatchObject({ parameter: '/wcs-autoscaler/prod/bootstrap/template' });
  });
});
