import { GetParameterCommand, ParameterNotFound, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG_TTL_MS,
  SsmConfigSource,
  defaultUserDataParameter,
  type SsmConfigSourceOptions,
} from '../../../shared/adapters/ssm-config-source.ts';
import { AutoscalerError, ConfigSourceError } from '../../../shared/errors.ts';

const ssmMock = mockClient(SSMClient);
const CONFIG_PARAMETER = '/wcs-autoscaler/prod/config';
const USER_DATA_PARAMETER = '/wcs-autoscaler/prod/pools/media/user-data';

/** A clock the test moves by hand. */
class FakeClock {
  public constructor(public current = 1_700_000_000_000) {}
  public now(): number {
    return this.current;
  }
  public advance(ms: number): void {
    this.current += ms;
  }
}

function source(clock: FakeClock, overrides: Partial<SsmConfigSourceOptions> = {}): SsmConfigSource {
  return new SsmConfigSource({ client: new SSMClient({}), configParameter: CONFIG_PARAMETER, clock, ...overrides });
}

function parameters(values: Record<string, string>): void {
  ssmMock.on(GetParameterCommand).callsFake((input: { Name?: string }) => {
    const value = input.Name === undefined ? undefined : values[input.Name];
    if (value === undefined) throw new ParameterNotFound({ $metadata: {}, message: `${input.Name} not found` });
    return { Parameter: { Name: input.Name, Type: 'String', Value: value } };
  });
}

const CONFIG = { defaultPool: 'media', pools: [{ name: 'media', maxNodes: 50 }] };

let clock: FakeClock;
beforeEach(() => {
  ssmMock.reset();
  clock = new FakeClock();
});

describe('Function: defaultUserDataParameter', () => {
  it.each([
    { config: '/wcs-autoscaler/prod/config', expected: '/wcs-autoscaler/prod/pools/media/user-data' },
    { config: '/config', expected: '/pools/media/user-data' },
    { config: 'config', expected: '/pools/media/user-data' },
  ])('derives $expected from $config', ({ config, expected }) => {
    // Prepare / Act / Assess
    expect(defaultUserDataParameter(config)('media')).toBe(expected);
  });
});

describe('Class: SsmConfigSource', () => {
  describe('Method: getConfig', () => {
    it('reads the parameter without decryption and returns the validated configuration with defaults', async () => {
      // Prepare
      parameters({ [CONFIG_PARAMETER]: JSON.stringify(CONFIG) });

      // Act
      const config = await source(clock).getConfig();

      // Assess
      expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(GetParameterCommand, { Name: CONFIG_PARAMETER, WithDecryption: false });
      expect(config.defaultPool).toBe('media');
      expect(config.pools[0]).toMatchObject({ name: 'media', maxNodes: 50, containersPerNode: 2, instanceTypes: ['c6i.2xlarge', 'c5.2xlarge', 'm6i.2xlarge'] });
    });

    it('serves the cached configuration until the TTL has passed, then reads again', async () => {
      // Prepare
      parameters({ [CONFIG_PARAMETER]: JSON.stringify(CONFIG) });
      const config = source(clock);
      await config.getConfig();

      // Act
      clock.advance(DEFAULT_CONFIG_TTL_MS - 1);
      await config.getConfig();
      const readsWithinTtl = ssmMock.commandCalls(GetParameterCommand).length;
      clock.advance(1);
      await config.getConfig();

      // Assess
      expect(readsWithinTtl).toBe(1);
      expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    });

    it('picks up a changed parameter after a custom TTL', async () => {
      // Prepare
      const values = { [CONFIG_PARAMETER]: JSON.stringify(CONFIG) };
      parameters(values);
      const config = source(clock, { ttlMs: 5_000 });
      await config.getConfig();
      values[CONFIG_PARAMETER] = JSON.stringify({ ...CONFIG, pools: [{ name: 'media', maxNodes: 7 }] });

      // Act
      const before = await config.getConfig();
      clock.advance(5_000);
      const after = await config.getConfig();

      // Assess
      expect(before.pools[0]?.maxNodes).toBe(50);
      expect(after.pools[0]?.maxNodes).toBe(7);
    });

    it('shares one read among concurrent callers', async () => {
      // Prepare
      parameters({ [CONFIG_PARAMETER]: JSON.stringify(CONFIG) });
      const config = source(clock);

      // Act
      const [a, b] = await Promise.all([config.getConfig(), config.getConfig()]);

      // Assess
      expect(a).toBe(b);
      expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    });

    it('throws ConfigSourceError naming the parameter when it does not exist', async () => {
      // Prepare
      parameters({});

      // Act
      const error = await source(clock).getConfig().catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ConfigSourceError);
      expect(error).toMatchObject({ parameter: CONFIG_PARAMETER, retryable: false });
      expect((error as Error).message).toBe(`${CONFIG_PARAMETER}: parameter not found`);
    });

    it('throws ConfigSourceError naming the parameter when the value is not JSON', async () => {
      // Prepare
      parameters({ [CONFIG_PARAMETER]: '{ pools: [' });

      // Act
      const error = await source(clock).getConfig().catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ConfigSourceError);
      expect(error).toMatchObject({ parameter: CONFIG_PARAMETER, cause: expect.any(SyntaxError) });
      expect((error as Error).message).toMatch(new RegExp(`^${CONFIG_PARAMETER}: invalid JSON: `));
    });

    it.each([
      { name: 'a field out of range', config: { pools: [{ name: 'default', maxNodes: 0 }] }, field: 'pools.0.maxNodes' },
      { name: 'an unknown default pool', config: { defaultPool: 'nope', pools: [{ name: 'default' }] }, field: 'defaultPool' },
      { name: 'a bad pool name', config: { pools: [{ name: 'bad name!' }] }, field: 'pools.0.name' },
    ])('throws ConfigSourceError naming the parameter and the field for $name', async ({ config, field }) => {
      // Prepare
      parameters({ [CONFIG_PARAMETER]: JSON.stringify(config) });

      // Act
      const error = await source(clock).getConfig().catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ConfigSourceError);
      expect((error as ConfigSourceError).parameter).toBe(CONFIG_PARAMETER);
      expect((error as Error).message).toContain(CONFIG_PARAMETER);
      expect((error as Error).message).toContain(`${field}:`);
    });

    it('does not cache a failed read', async () => {
      // Prepare
      parameters({});
      const config = source(clock);
      await config.getConfig().catch(() => undefined);
      parameters({ [CONFIG_PARAMETER]: JSON.stringify(CONFIG) });

      // Act
      const result = await config.getConfig();

      // Assess
      expect(result.defaultPool).toBe('media');
    });

    it('throws a retryable AutoscalerError naming the parameter when SSM throttles', async () => {
      // Prepare
      const sdkError = new SSMServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'Rate exceeded' });
      ssmMock.on(GetParameterCommand).rejects(sdkError);

      // Act
      const error = await source(clock).getConfig().catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AutoscalerError);
      expect(error).not.toBeInstanceOf(ConfigSourceError);
      expect(error).toMatchObject({ retryable: true, cause: sdkError });
      expect((error as Error).message).toContain(CONFIG_PARAMETER);
    });
  });

  describe('Method: getUserData', () => {
    it("reads the pool's parameter under the config parameter's parent path", async () => {
      // Prepare
      parameters({ [USER_DATA_PARAMETER]: '#!/bin/bash\necho media\n' });

      // Act
      const userData = await source(clock).getUserData('media');

      // Assess
      expect(userData).toBe('#!/bin/bash\necho media\n');
      expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: USER_DATA_PARAMETER, WithDecryption: false });
    });

    it('uses a custom parameter naming when given', async () => {
      // Prepare
      parameters({ '/custom/media': 'script' });

      // Act
      const userData = await source(clock, { userDataParameter: (pool) => `/custom/${pool}` }).getUserData('media');

      // Assess
      expect(userData).toBe('script');
    });

    it('returns undefined when the parameter does not exist, and caches that', async () => {
      // Prepare
      parameters({});
      const config = source(clock);

      // Act
      const first = await config.getUserData('media');
      const second = await config.getUserData('media');

      // Assess
      expect(first).toBeUndefined();
      expect(second).toBeUndefined();
      expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    });

    it('caches per pool until the TTL has passed', async () => {
      // Prepare
      parameters({ [USER_DATA_PARAMETER]: 'a', '/wcs-autoscaler/prod/pools/other/user-data': 'b' });
      const config = source(clock);

      // Act
      await config.getUserData('media');
      await config.getUserData('other');
      await config.getUserData('media');
      clock.advance(DEFAULT_CONFIG_TTL_MS);
      await config.getUserData('media');

      // Assess
      const names = ssmMock.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name);
      expect(names).toEqual([USER_DATA_PARAMETER, '/wcs-autoscaler/prod/pools/other/user-data', USER_DATA_PARAMETER]);
    });

    it('throws AutoscalerError naming the parameter on other errors', async () => {
      // Prepare
      const sdkError = new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'denied' });
      ssmMock.on(GetParameterCommand).rejects(sdkError);

      // Act
      const error = await source(clock).getUserData('media').catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ name: 'AutoscalerError', retryable: false, cause: sdkError });
      expect((error as Error).message).toContain(USER_DATA_PARAMETER);
    });
  });
});
