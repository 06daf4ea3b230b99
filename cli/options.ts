/**
 * Option parsers of the operator CLI (commander's custom option processing): a bad value is an
 * `InvalidArgumentError`, which commander prints as `error: option '--days <n>' argument '1.5'
 * is invalid. --days must be an integer from 1 to 366` and the CLI exits 2.
 *
 * @module
 */
import { InvalidArgumentError } from 'commander';

/** A parser of a number from `min` to `max` (fractions allowed). */
export function numberOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
}

/** A parser of an integer from `min` to `max` (decimal digits only: `1.7`, `1e3`, `0x10` are refused). */
export function integerOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}
