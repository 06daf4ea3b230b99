/**
 * CDK entry point (`cdk.json`: `npx tsx infra/app.ts`): one fleet from the configuration in
 * context (see `infra/config.ts`). A configuration error is printed with every field named and
 * the synth exits 1.
 *
 * @module
 */
import { App } from 'aws-cdk-lib';
import { DeploymentConfigError, loadDeploymentConfig } from './config.ts';
import { addFleet } from './fleet-app.ts';

const app = new App();
try {
  addFleet(app, loadDeploymentConfig((key) => app.node.tryGetContext(key)));
} catch (error) {
  if (error instanceof DeploymentConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
app.synth();
