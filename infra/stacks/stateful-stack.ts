/**
 * The stateful stack: what must survive a redeploy of the functions — the fleet table, the
 * idempotency table, and the SSM parameters the functions and the nodes read.
 *
 * @module
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { FleetTable, IdempotencyTable } from '../../shared/adapters/dynamodb/fleet-table.ts';
import { bootstrapParameterNames, encodeTemplate, readBootstrapTemplate, SSM_ADVANCED_VALUE_LIMIT_BYTES } from '../../shared/bootstrap/parameters.ts';
import type { DeploymentConfig } from '../config.ts';
import { secretParameterNames } from '../config.ts';
import { nodeRoleName, secretsKeyAlias } from '../naming.ts';

/** Attribute Powertools idempotency stores the record expiry in (epoch seconds); its default `expiryAttr`. */
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';

/** Props of {@link StatefulStack}. */
export interface StatefulStackProps extends StackProps {
  /** The validated deployment configuration. */
  readonly config: DeploymentConfig;
  /** Bootstrap template text (plain bash). @default readBootstrapTemplate() (infra/bootstrap) */
  readonly bootstrapTemplate?: string;
}

/**
 * Fleet table, idempotency table and SSM parameters of one fleet.
 *
 * - Fleet table: keys and the three sparse GSIs from `FleetTable` (`shared/adapters/dynamodb/fleet-table.ts`),
 *   on-demand, point-in-time recovery, deletion protection, retained on stack deletion.
 * - Idempotency table: Powertools' layout (`id`, TTL `expiration`), on-demand, PITR; destroyed
 *   with the stack (it holds only 24 h of duplicate-detection records).
 * - Parameters: the `AutoscalerConfig` JSON, the encoded bootstrap template (Advanced tier),
 *   each pool's node settings JSON. Secrets are not created here: their names are taken from the
 *   configuration and exposed as {@link secretParameterNames}.
 *
 * @example
 * const stateful = new StatefulStack(app, 'wcs-autoscaler-prod-stateful', { config });
 */
export class StatefulStack extends Stack {
  /** The fleet table (nodes, containers, rooms, pool summaries). */
  public readonly fleetTable: dynamodb.TableV2;
  /** The Powertools idempotency table. */
  public readonly idempotencyTable: dynamodb.TableV2;
  /** The `AutoscalerConfig` parameter (name = `config.configParameter`). */
  public readonly configParameter: ssm.StringParameter;
  /** The encoded bootstrap template parameter. */
  public readonly bootstrapTemplateParameter: ssm.StringParameter;
  /** Node settings parameter per pool name. */
  public readonly nodeSettingsParameters: Readonly<Record<string, ssm.StringParameter>>;
  /** The SecureString names the nodes read (operator-created). */
  public readonly secretParameterNames: readonly string[];
  /**
   * Customer-managed key the operator encrypts the WCS secrets with (`--key-id` = its alias,
   * `secretsKeyAlias`): its policy denies `kms:Decrypt` to every principal but the node role and
   * `access.operatorRoleArns`, so no other role of the account can read the secrets, whatever
   * its IAM policies allow (docs/security.md#node-role).
   */
  public readonly secretsKey: kms.Key;
  /** The fleet's SSM parameter prefix (parent of the config parameter's parent), e.g. `/wcs-autoscaler/prod`. */
  public readonly parameterPrefix: string;

  public constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    const indexes = Object.values(FleetTable.indexes);
    this.fleetTable = new dynamodb.TableV2(this, 'FleetTable', {
      partitionKey: { name: FleetTable.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: FleetTable.sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: indexes.map((i) => ({
        indexName: i.indexName,
        partitionKey: { name: i.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: i.sortKey, type: i.sortKeyType === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      })),
    });

    this.idempotencyTable = new dynamodb.TableV2(this, 'IdempotencyTable', {
      partitionKey: { name: IdempotencyTable.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.configParameter = new ssm.StringParameter(this, 'ConfigParameter', {
      parameterName: config.configParameter,
      description: `wcs-autoscaler ${config.fleetName}: AutoscalerConfig JSON (pools, event source)`,
      stringValue: JSON.stringify(config.autoscaler),
      tier: ssm.ParameterTier.STANDARD,
    });

    const names = bootstrapParameterNames(config.configParameter);
    this.parameterPrefix = names.prefix;

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      alias: secretsKeyAlias(config.fleetName),
      description: `wcs-autoscaler ${config.fleetName}: WCS licence and the containers' SSH password (SSM SecureString)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The node role by its fixed name (it lives in the stateless stack, created later): a
    // condition value, which KMS does not resolve, unlike a principal.
    const nodeRoleArn = this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: nodeRoleName(config.fleetName, this.region) });
    this.secretsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DecryptOnlyByNodeRoleAndOperators',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [nodeRoleArn, ...config.access.operatorRoleArns] } },
      }),
    );
    const encoded = encodeTemplate(props.bootstrapTemplate ?? readBootstrapTemplate());
    if (Buffer.byteLength(encoded, 'utf8') > SSM_ADVANCED_VALUE_LIMIT_BYTES) {
      throw new Error(
        `bootstrap template: encoded size ${Buffer.byteLength(encoded, 'utf8')} B exceeds the SSM Advanced-tier limit of ${SSM_ADVANCED_VALUE_LIMIT_BYTES} B`,
      );
    }
    this.bootstrapTemplateParameter = new ssm.StringParameter(this, 'BootstrapTemplateParameter', {
      parameterName: names.template,
      description: `wcs-autoscaler ${config.fleetName}: media node bootstrap template (br64-encoded)`,
      stringValue: encoded,
      tier: ssm.ParameterTier.ADVANCED,
    });

    const nodeSettings: Record<string, ssm.StringParameter> = {};
    for (const pool of config.autoscaler.pools) {
      nodeSettings[pool.name] = new ssm.StringParameter(this, `NodeSettings-${pool.name}`, {
        parameterName: names.nodeSettings(pool.name),
        description: `wcs-autoscaler ${config.fleetName}: node settings of pool ${pool.name}`,
        stringValue: JSON.stringify(config.nodeSettings[pool.name]),
        tier: ssm.ParameterTier.STANDARD,
      });
    }
    this.nodeSettingsParameters = nodeSettings;
    this.secretParameterNames = secretParameterNames(config);

    new CfnOutput(this, 'FleetTableName', { value: this.fleetTable.tableName, description: 'DynamoDB fleet table (nodes, rooms, pools)' });
    new CfnOutput(this, 'ConfigParameterName', { value: config.configParameter, description: 'SSM parameter with the AutoscalerConfig JSON' });
    new CfnOutput(this, 'SecretsKeyAlias', {
      value: secretsKeyAlias(config.fleetName),
      description: 'KMS key to encrypt the WCS secrets with (aws ssm put-parameter --type SecureString --key-id <this alias>)',
    });
    new CfnOutput(this, 'SecretParameterNames', {
      value: this.secretParameterNames.join(','),
      description: 'SecureString parameters to create before launching nodes (aws ssm put-parameter --type SecureString)',
    });
  }

  /** Every parameter the functions read (config, template, node settings). */
  public get functionParameters(): readonly ssm.StringParameter[] {
    return [this.configParameter, this.bootstrapTemplateParameter, ...Object.values(this.nodeSettingsParameters)];
  }
}
