/**
 * Composition of one fleet's stacks on a CDK app, with cdk-nag's AWS Solutions checks.
 * `infra/app.ts` calls it with the configuration from context; the tests call it with their own.
 *
 * @module
 */
import { Validations, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { DeploymentConfig } from './config.ts';
import { acknowledgeNagFindings } from './nag.ts';
import { stackNames } from './naming.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

/** What {@link addFleet} built. */
export interface Fleet {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/** Options of {@link addFleet}. */
export interface AddFleetOptions {
  /** Bootstrap template text. @default the repository's `infra/bootstrap` template */
  readonly bootstrapTemplate?: string;
  /** Register cdk-nag `AwsSolutionsChecks` on the app. @default true */
  readonly nagChecks?: boolean;
}

/**
 * Add a fleet's stateful and stateless stacks to an app and register cdk-nag on it.
 *
 * @example
 * const app = new App();
 * addFleet(app, loadDeploymentConfig((k) => app.node.tryGetContext(k)));
 * app.synth();
 */
export function addFleet(app: App, config: DeploymentConfig, options: AddFleetOptions = {}): Fleet {
  const names = stackNames(config.fleetName);
  const env: Environment = {
    account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: config.region ?? process.env.CDK_DEFAULT_REGION,
  };
  const tags = { 'wcs-autoscaler:fleet': config.fleetName };
  const stateful = new StatefulStack(app, names.stateful, {
    config,
    env,
    tags,
    description: `wcs-autoscaler ${config.fleetName}: fleet table, idempotency table, SSM parameters`,
    ...(options.bootstrapTemplate !== undefined ? { bootstrapTemplate: options.bootstrapTemplate } : {}),
  });
  const stateless = new StatelessStack(app, names.stateless, {
    config,
    stateful,
    env,
    tags: { 'wcs-autoscaler:component': 'control-plane' },
    description: `wcs-autoscaler ${config.fleetName}: bus, rules, functions, schedule, media node launch template, dashboard`,
  });
  if (options.nagChecks ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    acknowledgeNagFindings({ stateful, stateless });
  }
  return { stateful, stateless };
}
