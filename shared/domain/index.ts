/**
 * Pure policy of wcs-autoscaler: capacity model, placement, scaling decisions. No I/O, no clock
 * reads: time is a parameter.
 *
 * @module
 */
export * from './config.ts';
export * from './cpusets.ts';
export * from './model.ts';
export * from './offerings.ts';
export * from './placement.ts';
export * from './scaling.ts';
