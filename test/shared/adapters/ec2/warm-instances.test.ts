/**
 * Warm-pool instance state changes on EC2 (StartInstances / StopInstances) and a stopped node's
 * Elastic IPs, against aws-sdk-client-mock. EC2 fails a whole call for one bad instance; the mocks
 * below do the same (a batch naming a bad instance is refused), so the tests show one node's
 * capacity error never blocks the others.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DisassociateAddressCommand,
  EC2Client,
  EC2ServiceException,
  ReleaseAddressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type InstanceStateName,
  type StartInstancesCommandInput,
  type StopInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2ComputeProvider, FLEET_TAG } from '../../../../shared/adapters/ec2/compute-provider.ts';
import { NODE_TAG } from '../../../../shared/adapters/ec2/elastic-ips.ts';
import { INSTANCE_BATCH_SIZE } from '../../../../shared/adapters/ec2/instance-states.ts';
import { PoolConfigSchema } from '../../../../shared/domain/config.ts';
import { AutoscalerError, StopRefusedError } from '../../../../shared/errors.ts';

const ec2Mock = mockClient(EC2Client);
const NOW = 1_700_000_000_000;

function ec2Error(code: string, message = `${code}: test`, fault: 'client' | 'server' = 'client'): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: fault, $metadata: {}, message });
}

function provider(options: { addressPool?: string[]; launchTemplatesByPool?: Record<string, { id: string }> } = {}): Ec2ComputeProvider {
  return new Ec2ComputeProvider({
    client: new EC2Client({}),
    launchTemplate: { id: 'lt-default' },
    subnetIds: ['subnet-a'],
    securityGroupIds: [],
    fleet: 'prod',
    ...options,
  });
}

/**
 * StartInstances as EC2 answers it: the whole call fails with the first bad instance's error;
 * otherwise every instance is reported `pending` (or `running` when it already ran).
 */
function startInstancesBy(errors: Record<string, string>, running: readonly string[] = []): void {
  ec2Mock.on(StartInstancesCommand).callsFake((input: StartInstancesCommandInput) => {
    const ids = input.InstanceIds ?? [];
    const bad = ids.find((id) => errors[id]);
    if (bad) throw ec2Error(errors[bad]!, `${errors[bad]}: ${bad}`);
    return {
      StartingInstances: ids.map((InstanceId) => ({
        InstanceId,
        PreviousState: { Name: running.includes(InstanceId) ? 'running' : 'stopped' },
        CurrentState: { Name: running.includes(InstanceId) ? 'running' : 'pending' },
      })),
    };
  });
}

/** StopInstances as EC2 answers it: the whole call fails with the first bad instance's error. */
function stopInstancesBy(errors: Record<string, string>): void {
  ec2Mock.on(StopInstancesCommand).callsFake((input: StopInstancesCommandInput) => {
    const ids = input.InstanceIds ?? [];
    const bad = ids.find((id) => errors[id]);
    if (bad) throw ec2Error(errors[bad]!, `${errors[bad]}: ${bad}`);
    return { StoppingInstances: ids.map((InstanceId) => ({ InstanceId, CurrentState: { Name: 'stopping' } })) };
  });
}

describe('Class: Ec2ComputeProvider (warm pool)', () => {
  beforeEach(() => ec2Mock.reset());

  describe('Method: start', () => {
    it('starts every instance in one StartInstances call when EC2 accepts them all', async () => {
      // Prepare
      startInstancesBy({});

      // Act
      const result = await provider().start(['i-1', 'i-2', 'i-1'], NOW);

      // Assess
      expect(result).toEqual({ started: ['i-1', 'i-2'], failures: [] });
      expect(ec2Mock).toHaveReceivedCommandTimes(StartInstancesCommand, 1);
      expect(ec2Mock).toHaveReceivedCommandWith(StartInstancesCommand, { InstanceIds: ['i-1', 'i-2'] });
    });

    it('retries the others one by one when one instance lacks capacity, and reports that one as a failure', async () => {
      // Prepare
      startInstancesBy({ 'i-2': 'InsufficientInstanceCapacity' });

      // Act
      const result = await provider().start(['i-1', 'i-2', 'i-3'], NOW);

      // Assess
      expect(result.started).toEqual(['i-1', 'i-3']);
      expect(result.failures).toEqual([{ instanceId: 'i-2', code: 'InsufficientInstanceCapacity', message: expect.stringMatching(/i-2.*keep the node stopped/) }]);
      expect(ec2Mock).toHaveReceivedCommandTimes(StartInstancesCommand, 4);
      for (const id of ['i-1', 'i-2', 'i-3']) expect(ec2Mock).toHaveReceivedCommandWith(StartInstancesCommand, { InstanceIds: [id] });
    });

    it('reports every instance as a failure when none has capacity (the caller launches cold)', async () => {
      // Prepare
      startInstancesBy({ 'i-1': 'InsufficientInstanceCapacity', 'i-2': 'InsufficientInstanceCapacity' });

      // Act
      const result = await provider().start(['i-1', 'i-2'], NOW);

      // Assess
      expect(result.started).toEqual([]);
      expect(result.failures.map((f) => [f.instanceId, f.code])).toEqual([
        ['i-1', 'InsufficientInstanceCapacity'],
        ['i-2', 'InsufficientInstanceCapacity'],
      ]);
    });

    it('counts already running or pending instances as started', async () => {
      // Prepare
      startInstancesBy({}, ['i-1']);

      // Act
      const result = await provider().start(['i-1', 'i-2'], NOW);

      // Assess
      expect(result).toEqual({ started: ['i-1', 'i-2'], failures: [] });
    });

    it('reports an instance still stopping (IncorrectInstanceState) and an unknown one, and starts the rest', async () => {
      // Prepare
      startInstancesBy({ 'i-1': 'IncorrectInstanceState', 'i-9': 'InvalidInstanceID.NotFound' });

      // Act
      const result = await provider().start(['i-1', 'i-2', 'i-9'], NOW);

      // Assess
      expect(result.started).toEqual(['i-2']);
      expect(result.failures).toEqual([
        { instanceId: 'i-1', code: 'IncorrectInstanceState', message: expect.stringMatching(/not startable now/) },
        { instanceId: 'i-9', code: 'InvalidInstanceID.NotFound', message: expect.any(String) },
      ]);
    });

    it('reports an instance EC2 leaves in another state, or does not report, as not started', async () => {
      // Prepare
      ec2Mock.on(StartInstancesCommand).resolves({ StartingInstances: [{ InstanceId: 'i-1', CurrentState: { Name: 'stopping' } }] });

      // Act
      const result = await provider().start(['i-1', 'i-2'], NOW);

      // Assess
      expect(result.started).toEqual([]);
      expect(result.failures.map((f) => [f.instanceId, f.code])).toEqual([
        ['i-1', 'IncorrectInstanceState'],
        ['i-2', 'NotReported'],
      ]);
    });

    it('throws a retryable AutoscalerError when EC2 throttles (RequestLimitExceeded), without retrying one by one', async () => {
      // Prepare
      ec2Mock.on(StartInstancesCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));

      // Act
      const error = await provider()
        .start(['i-1', 'i-2'], NOW)
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AutoscalerError);
      expect((error as AutoscalerError).retryable).toBe(true);
      expect((error as Error).message).toMatch(/StartInstances i-1, i-2: RequestLimitExceeded/);
      expect(ec2Mock).toHaveReceivedCommandTimes(StartInstancesCommand, 1);
    });

    it('throws a retryable error when EC2 throttles the one-by-one retry after a capacity error', async () => {
      // Prepare
      ec2Mock
        .on(StartInstancesCommand)
        .rejectsOnce(ec2Error('InsufficientInstanceCapacity'))
        .resolvesOnce({ StartingInstances: [{ InstanceId: 'i-1', CurrentState: { Name: 'pending' } }] })
        .rejectsOnce(ec2Error('RequestLimitExceeded'));

      // Act
      const error = await provider()
        .start(['i-1', 'i-2'], NOW)
        .catch((e: unknown) => e);

      // Assess
      expect((error as AutoscalerError).retryable).toBe(true);
      expect((error as Error).message).toMatch(/StartInstances i-2: RequestLimitExceeded/);
    });

    it(`sends at most ${INSTANCE_BATCH_SIZE} ids per call`, async () => {
      // Prepare
      startInstancesBy({});
      const ids = Array.from({ length: INSTANCE_BATCH_SIZE + 1 }, (_, i) => `i-${i}`);

      // Act
      const result = await provider().start(ids, NOW);

      // Assess
      expect(result.started).toHaveLength(ids.length);
      expect(ec2Mock.commandCalls(StartInstancesCommand).map((c) => c.args[0].input.InstanceIds?.length)).toEqual([INSTANCE_BATCH_SIZE, 1]);
    });

    it('calls nothing for no ids', async () => {
      // Act
      const result = await provider().start([], NOW);

      // Assess
      expect(result).toEqual({ started: [], failures: [] });
      expect(ec2Mock).not.toHaveReceivedCommand(StartInstancesCommand);
    });
  });

  describe('Method: stop', () => {
    it('stops without hibernation when not asked', async () => {
      // Prepare
      stopInstancesBy({});

      // Act
      await provider().stop({ instanceIds: ['i-1', 'i-2'], hibernate: false });

      // Assess
      expect(ec2Mock).toHaveReceivedCommandTimes(StopInstancesCommand, 1);
      expect(ec2Mock.commandCalls(StopInstancesCommand)[0]?.args[0].input).toEqual({ InstanceIds: ['i-1', 'i-2'] });
    });

    it('hibernates with Hibernate: true when asked', async () => {
      // Prepare
      stopInstancesBy({});

      // Act
      await provider().stop({ instanceIds: ['i-1'], hibernate: true });

      // Assess
      expect(ec2Mock).toHaveReceivedCommandWith(StopInstancesCommand, { InstanceIds: ['i-1'], Hibernate: true });
    });

    it('reports a refused hibernation clearly, stops the others, and never retries it as a plain stop', async () => {
      // Prepare
      stopInstancesBy({ 'i-2': 'UnsupportedHibernationConfiguration' });

      // Act
      const error = await provider()
        .stop({ instanceIds: ['i-1', 'i-2', 'i-3'], hibernate: true })
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(StopRefusedError);
      const refused = error as StopRefusedError;
      expect(refused.retryable).toBe(false);
      expect(refused.action).toBe('hibernate');
      expect(refused.stopped).toEqual(['i-1', 'i-3']);
      expect(refused.refused).toEqual([{ instanceId: 'i-2', code: 'UnsupportedHibernationConfiguration', message: expect.stringMatching(/HibernationOptions\.Configured.*Not retried as a plain stop/) }]);
      expect(refused.message).toMatch(/^hibernate refused for i-2: UnsupportedHibernationConfiguration/);
      for (const call of ec2Mock.commandCalls(StopInstancesCommand)) expect(call.args[0].input.Hibernate).toBe(true);
    });

    it('reports a one-time Spot instance EC2 will not stop (UnsupportedOperation)', async () => {
      // Prepare
      stopInstancesBy({ 'i-spot': 'UnsupportedOperation' });

      // Act
      const error = await provider()
        .stop({ instanceIds: ['i-spot'], hibernate: false })
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(StopRefusedError);
      expect((error as StopRefusedError).refused[0]?.message).toMatch(/one-time Spot instance cannot be stopped/);
      expect(ec2Mock).toHaveReceivedCommandTimes(StopInstancesCommand, 1);
    });

    it('reports an instance in a state that cannot stop (IncorrectInstanceState)', async () => {
      // Prepare
      stopInstancesBy({ 'i-1': 'IncorrectInstanceState' });

      // Act
      const error = await provider()
        .stop({ instanceIds: ['i-1', 'i-2'], hibernate: false })
        .catch((e: unknown) => e);

      // Assess
      expect((error as StopRefusedError).refused.map((r) => r.code)).toEqual(['IncorrectInstanceState']);
      expect((error as StopRefusedError).stopped).toEqual(['i-2']);
    });

    it('throws a retryable AutoscalerError when EC2 throttles', async () => {
      // Prepare
      ec2Mock.on(StopInstancesCommand).rejects(ec2Error('RequestLimitExceeded'));

      // Act
      const error = await provider()
        .stop({ instanceIds: ['i-1'], hibernate: true })
        .catch((e: unknown) => e);

      // Assess
      expect(error).not.toBeInstanceOf(StopRefusedError);
      expect((error as AutoscalerError).retryable).toBe(true);
      expect((error as Error).message).toMatch(/StopInstances \(hibernate\) i-1: RequestLimitExceeded/);
    });

    it('throws a retryable AutoscalerError on a server fault', async () => {
      // Prepare
      ec2Mock.on(StopInstancesCommand).rejects(ec2Error('InternalError', 'An internal error has occurred', 'server'));

      // Act
      const error = await provider()
        .stop({ instanceIds: ['i-1'], hibernate: false })
        .catch((e: unknown) => e);

      // Assess
      expect((error as AutoscalerError).retryable).toBe(true);
    });
  });

  describe('Method: releaseStoppedAddresses', () => {
    const ID = 'i-0abc1234def567890';
    const owned = { Filters: [{ Name: `tag:${FLEET_TAG}`, Values: ['prod'] }, { Name: `tag:${NODE_TAG}`, Values: [ID] }] };

    function describedAs(state: InstanceStateName): void {
      ec2Mock.on(DescribeInstancesCommand, { InstanceIds: [ID] }).resolves({ Reservations: [{ Instances: [{ InstanceId: ID, State: { Name: state } }] }] });
    }

    it("releases a stopped node's own Elastic IPs and only disassociates the operator pool's", async () => {
      // Prepare
      describedAs('stopped');
      ec2Mock.on(DescribeAddressesCommand, owned).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', AssociationId: 'eipassoc-1' }] });
      ec2Mock.on(DescribeAddressesCommand, { AllocationIds: ['eipalloc-p1'] }).resolves({
        Addresses: [{ AllocationId: 'eipalloc-p1', AssociationId: 'eipassoc-p1', InstanceId: ID }],
      });

      // Act
      const result = await provider({ addressPool: ['eipalloc-p1'] }).releaseStoppedAddresses(ID);

      // Assess
      expect(result).toEqual({ released: true, state: 'stopped' });
      expect(ec2Mock).toHaveReceivedCommandWith(DisassociateAddressCommand, { AssociationId: 'eipassoc-1' });
      expect(ec2Mock).toHaveReceivedCommandWith(ReleaseAddressCommand, { AllocationId: 'eipalloc-1' });
      expect(ec2Mock).toHaveReceivedCommandWith(DisassociateAddressCommand, { AssociationId: 'eipassoc-p1' });
      expect(ec2Mock).not.toHaveReceivedCommandWith(ReleaseAddressCommand, { AllocationId: 'eipalloc-p1' });
    });

    it.each(['pending', 'running'] as const)('releases nothing when the node is %s again (a late stopped event)', async (state) => {
      // Prepare
      describedAs(state);

      // Act
      const result = await provider().releaseStoppedAddresses(ID);

      // Assess
      expect(result).toEqual({ released: false, state });
      expect(ec2Mock).not.toHaveReceivedCommand(DescribeAddressesCommand);
      expect(ec2Mock).not.toHaveReceivedCommand(ReleaseAddressCommand);
      expect(ec2Mock).not.toHaveReceivedCommand(DisassociateAddressCommand);
    });

    it('releases nothing for an instance EC2 does not know (the terminated path releases its addresses)', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound'));

      // Act
      const result = await provider().releaseStoppedAddresses(ID);

      // Assess
      expect(result).toEqual({ released: false, state: 'unknown' });
      expect(ec2Mock).not.toHaveReceivedCommand(ReleaseAddressCommand);
    });

    it('throws a retryable error when EC2 throttles the state check', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded'));

      // Act
      const error = await provider()
        .releaseStoppedAddresses(ID)
        .catch((e: unknown) => e);

      // Assess
      expect((error as AutoscalerError).retryable).toBe(true);
    });

    it('gives a node whose addresses were released new ones when it runs again (associateAddresses)', async () => {
      // Prepare: running again, its secondary private IPs kept, no public IP on them any more
      ec2Mock.on(DescribeInstancesCommand, { InstanceIds: [ID] }).resolves({
        Reservations: [
          {
            Instances: [
              {
                InstanceId: ID,
                State: { Name: 'running' },
                NetworkInterfaces: [
                  {
                    NetworkInterfaceId: 'eni-1',
                    Attachment: { DeviceIndex: 0 },
                    PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.10', Primary: true }, { PrivateIpAddress: '10.0.1.11', Primary: false }],
                  },
                ],
              },
            ],
          },
        ],
      });
      ec2Mock.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-new' });
      ec2Mock.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-new', PublicIp: '198.51.100.7' });

      // Act
      const associations = await provider().associateAddresses(ID);

      // Assess
      expect(associations).toEqual([{ privateIp: '10.0.1.11', publicIp: '198.51.100.7', allocationId: 'eipalloc-new' }]);
      expect(ec2Mock).toHaveReceivedCommandWith(AssociateAddressCommand, { AllocationId: 'eipalloc-new', NetworkInterfaceId: 'eni-1', PrivateIpAddress: '10.0.1.11' });
    });
  });

  describe('Option: launchTemplatesByPool', () => {
    it("launches a pool from its own launch template (its root volume and hibernation), others from the default", async () => {
      // Prepare
      ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-new' }] });
      const compute = provider({ launchTemplatesByPool: { warm: { id: 'lt-warm' } } });
      const warm = PoolConfigSchema.parse({ name: 'warm', warmPool: { state: 'hibernated' } });
      const other = PoolConfigSchema.parse({ name: 'other' });

      // Act
      await compute.launch({ pool: warm, count: 1, decisionId: 'd-1', now: NOW });
      await compute.launch({ pool: other, count: 1, decisionId: 'd-2', now: NOW });

      // Assess
      const templates = ec2Mock.commandCalls(RunInstancesCommand).map((c) => c.args[0].input.LaunchTemplate);
      expect(templates).toEqual([
        { LaunchTemplateId: 'lt-warm', Version: '$Default' },
        { LaunchTemplateId: 'lt-default', Version: '$Default' },
      ]);
    });

    it('refuses a pool launch template without id or name', () => {
      // Act / Assess
      expect(() => new Ec2ComputeProvider({ client: new EC2Client({}), launchTemplate: { id: 'lt-1' }, launchTemplatesByPool: { warm: {} }, subnetIds: ['subnet-a'], securityGroupIds: [], fleet: 'prod' })).toThrow(
        /launch template of pool warm needs an id or a name/,
      );
    });
  });
});
