import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { fleetTableCreateInput, FleetTable, IdempotencyTable } from '../../shared/adapters/dynamodb/fleet-table.ts';
import { bootstrapParameterNames, decodeTemplate } from '../../shared/bootstrap/parameters.ts';
import { parseAutoscalerConfig } from '../../shared/domain/config.ts';
import { resourcesOfType, synthFleet, TEST_BOOTSTRAP_TEMPLATE, type SynthesizedFleet } from './support.ts';

const INPUT = {
  fleetName: 'prod',
  autoscaler: { defaultPool: 'eu', pools: [{ name: 'eu', maxNodes: 40 }, { name: 'webinar', containersPerNode: 4, capacityPerContainer: 5 }] },
  nodeSettings: { webinar: { image: 'flashphoner/webcallserver:5.2.2100', mediaPorts: { from: 40000, to: 41000 } } },
};

describe('Class: StatefulStack', () => {
  let fleet: SynthesizedFleet;
  let template: Template;

  beforeAll(() => {
    fleet = synthFleet(INPUT);
    template = fleet.statefulTemplate;
  });

  it('defines the fleet table from the schema the code uses (keys, GSIs, on-demand)', () => {
    // Prepare
    const expected = fleetTableCreateInput('unused');

    // Assess
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: expected.KeySchema,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: Match.arrayWith(expected.AttributeDefinitions!.map((a) => Match.objectLike(a))),
      GlobalSecondaryIndexes: Match.arrayEquals(
        expected.GlobalSecondaryIndexes!.map((g) => Match.objectLike({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: { ProjectionType: 'ALL' } })),
      ),
    });
    expect(Object.values(FleetTable.indexes).map((i) => i.indexName)).toEqual(['placement', 'queue', 'pool-nodes']);
  });

  it('protects the fleet table: point-in-time recovery, deletion protection, retained on stack deletion', () => {
    // Act
    const [, table] = resourcesOfType(template, 'AWS::DynamoDB::GlobalTable').find(([, r]) => (r.Properties?.GlobalSecondaryIndexes as unknown[] | undefined)?.length)!;

    // Assess
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties?.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true }),
    ]);
  });

  it('defines the idempotency table with the Powertools key and TTL attribute, with PITR', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: IdempotencyTable.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    expect(template.findResources('AWS::DynamoDB::GlobalTable')).toSatisfy((r: object) => Object.keys(r).length === 2);
  });

  it('stores the AutoscalerConfig JSON the functions read, valid for parseAutoscalerConfig', () => {
    // Act
    const [, param] = resourcesOfType(template, 'AWS::SSM::Parameter').find(([, r]) => r.Properties?.Name === '/wcs-autoscaler/prod/config')!;

    // Assess
    expect(param.Properties?.Type).toBe('String');
    expect(parseAutoscalerConfig(JSON.parse(param.Properties?.Value as string))).toEqual(fleet.config.autoscaler);
  });

  it('stores the bootstrap template encoded in an Advanced-tier parameter under the names of shared/bootstrap', () => {
    // Prepare
    const names = bootstrapParameterNames('/wcs-autoscaler/prod/config');

    // Act
    const [, param] = resourcesOfType(template, 'AWS::SSM::Parameter').find(([, r]) => r.Properties?.Name === names.template)!;

    // Assess
    expect(param.Properties?.Tier).toBe('Advanced');
    expect(decodeTemplate(param.Properties?.Value as string)).toBe(TEST_BOOTSTRAP_TEMPLATE);
  });

  it('stores each pool\'s node settings with every default applied', () => {
    // Prepare
    const names = bootstrapParameterNames('/wcs-autoscaler/prod/config');
    const value = (pool: string) =>
      JSON.parse(resourcesOfType(template, 'AWS::SSM::Parameter').find(([, r]) => r.Properties?.Name === names.nodeSettings(pool))![1].Properties?.Value as string);

    // Assess
    expect(value('eu')).toEqual(fleet.config.nodeSettings.eu);
    expect(value('webinar')).toMatchObject({ image: 'flashphoner/webcallserver:5.2.2100', mediaPorts: { from: 40000, to: 41000 }, restPort: 8444 });
  });

  it('creates no SecureString: secrets are operator-created and only named', () => {
    // Act
    const types = resourcesOfType(template, 'AWS::SSM::Parameter').map(([, r]) => r.Properties?.Type);

    // Assess
    expect(types.every((t) => t === 'String')).toBe(true);
    template.hasOutput('SecretParameterNames', { Value: '/wcs-autoscaler/prod/secrets/wcs-license,/wcs-autoscaler/prod/secrets/wcs-password' });
  });

  it('fails synth with the limit named when the encoded template exceeds 8 KB', async () => {
    // Prepare
    const { App } = await import('aws-cdk-lib');
    const { StatefulStack } = await import('../../infra/stacks/stateful-stack.ts');
    const { randomBytes } = await import('node:crypto');
    const random = randomBytes(12_000).toString('base64'); // incompressible: gzip cannot fit it in 8 KB

    // Act / Assess
    expect(() => new StatefulStack(new App(), 'big', { config: fleet.config, bootstrapTemplate: random })).toThrow(/exceeds the SSM Advanced-tier limit of 8192 B/);
  });
});
