/**
 * Names derived from the fleet name, written once for the stacks, the tests and the operator
 * documentation.
 *
 * @module
 */

/** Stack names of a fleet: `wcs-autoscaler-<fleet>-stateful` / `-stateless`. */
export function stackNames(fleetName: string): { readonly stateful: string; readonly stateless: string } {
  return { stateful: `wcs-autoscaler-${fleetName}-stateful`, stateless: `wcs-autoscaler-${fleetName}-stateless` };
}

/** Name of the fleet's custom EventBridge bus (apps put RoomCreated / RoomReleased here). */
export function eventBusName(fleetName: string): string {
  return `wcs-autoscaler-${fleetName}`;
}

// Defined once beside the routing table (the functions name the alarms they create with it).
export { nodeAlarmNamePrefix } from '../shared/events/routing.ts';

/** Prefix of the fleet's operational alarm names (not routed to the functions). */
export function opsAlarmNamePrefix(fleetName: string): string {
  return `wcs-autoscaler-${fleetName}-ops-`;
}

/** Name of the fleet's CloudWatch dashboard. */
export function dashboardName(fleetName: string): string {
  return `wcs-autoscaler-${fleetName}`;
}

/**
 * Name of the media nodes' instance role, `wcs-autoscaler-<fleet>-node-<region>` (IAM names are
 * global to the account: the region keeps two fleets of one name apart; at most 15 + 24 + 6 + 14
 * = 59 of IAM's 64 characters). Fixed (not generated) so the stateful stack's secrets key policy
 * can name the role before the stateless stack creates it.
 *
 * @param region - the stack's region (a token for an environment-agnostic stack)
 */
export function nodeRoleName(fleetName: string, region: string): string {
  return `wcs-autoscaler-${fleetName}-node-${region}`;
}

/** Alias of the customer-managed KMS key of the fleet's WCS secrets (`alias/…`). */
export function secretsKeyAlias(fleetName: string): string {
  return `alias/wcs-autoscaler-${fleetName}-secrets`;
}
