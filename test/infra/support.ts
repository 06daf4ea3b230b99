/**
 * Test support for the CDK app: synthesize a fleet once per test file, read fixtures, and
 * evaluate EventBridge patterns (the exact-match subset of `matchesPattern` plus `prefix`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseDeploymentConfig, type DeploymentConfig } from '../../infra/config.ts';
import { addFleet, type Fleet } from '../../infra/fleet-app.ts';

/** A small bootstrap template so tests do not depend on the real one's size. */
export const TEST_BOOTSTRAP_TEMPLATE = '#!/bin/bash\nset -euo pipefail\necho "{{instanceId}}"\n';

/** A synthesized fleet: the stacks, their templates and the configuration. */
export interface SynthesizedFleet extends Fleet {
  readonly app: App;
  readonly config: DeploymentConfig;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/**
 * Build and synthesize a fleet with cdk-nag on (any unacknowledged finding throws here).
 *
 * @param input - raw deployment configuration
 * @param options.bundle - run esbuild for the functions (seconds); otherwise bundling is skipped
 *   with the CDK context `aws:cdk:bundling-stacks` = []
 */
export function synthFleet(input: unknown, options: { bundle?: boolean } = {}): SynthesizedFleet {
  const app = new App({ context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const config = parseDeploymentConfig(input);
  const fleet = addFleet(app, config, { bootstrapTemplate: TEST_BOOTSTRAP_TEMPLATE });
  return {
    ...fleet,
    app,
    config,
    statefulTemplate: Template.fromStack(fleet.stateful),
    statelessTemplate: Template.fromStack(fleet.stateless),
  };
}

const FIXTURES = new URL('../fixtures/events/', import.meta.url);

/** Every AWS sample event fixture, by `<source>/<case>`. */
export function awsEventFixtures(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const source of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!source.isDirectory()) continue;
    for (const file of readdirSync(new URL(`${source.name}/`, FIXTURES))) {
      if (!file.endsWith('.json')) continue;
      out[`${source.name}/${file.replace(/\.json$/, '')}`] = JSON.parse(readFileSync(new URL(`${source.name}/${file}`, FIXTURES), 'utf8'));
    }
  }
  return out;
}

function matchValue(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(value) ? value : [value];
    return pattern.some((p) => {
      if (p && typeof p === 'object' && 'prefix' in p) {
        return values.some((v) => typeof v === 'string' && v.startsWith(String((p as { prefix: unknown }).prefix)));
      }
      return values.includes(p);
    });
  }
  if (pattern && typeof pattern === 'object') {
    if (!value || typeof value !== 'object') return false;
    return Object.entries(pattern).every(([k, p]) => matchValue(p, (value as Record<string, unknown>)[k]));
  }
  return false;
}

/**
 * EventBridge's matching for the pattern subset the stacks use: exact values (an array value
 * matches when any element matches) and `{ prefix }`; nested objects recursively. It agrees with
 * `matchesPattern` of `shared/events/routing.ts` on patterns without `prefix` (tested).
 */
export function matchesEventPattern(pattern: Readonly<Record<string, unknown>>, event: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(pattern).every(([k, p]) => matchValue(p, event[k]));
}

/** A CloudFormation resource of a template. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** All resources of a type, with their logical ids (found, never hard-coded). */
export function resourcesOfType(template: Template, type: string): Array<[string, CfnResourceJson]> {
  return Object.entries(template.findResources(type)) as Array<[string, CfnResourceJson]>;
}

/** An IAM statement as synthesized. */
export interface StatementJson {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every IAM policy statement of a template (inline role policies and AWS::IAM::Policy), with the owning logical id. */
export function iamStatements(template: Template): Array<{ owner: string; statement: StatementJson }> {
  const out: Array<{ owner: string; statement: StatementJson }> = [];
  for (const [id, r] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const doc = (r.Properties?.PolicyDocument ?? {}) as { Statement?: StatementJson[] };
    for (const statement of doc.Statement ?? []) out.push({ owner: id, statement });
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::IAM::Role')) {
    for (const p of (r.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: StatementJson[] } }>) {
      for (const statement of p.PolicyDocument.Statement) out.push({ owner: id, statement });
    }
  }
  return out;
}

/** Statement actions as an array. */
export function actionsOf(statement: StatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
