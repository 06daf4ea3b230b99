/**
 * Item sizes and capacity units by DynamoDB's rules, for tests that hold writes to ≤ 1 KB and
 * for the bench's WCU/RCU figures (`bench/placement-scale.ts`). Pure.
 *
 * Sizes (Amazon DynamoDB Developer Guide, "Item sizes and formats",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * an item is the sum of its attribute names' UTF-8 lengths and its values' sizes; a string is
 * its UTF-8 length; a number 1 byte per two significant digits plus 1 byte; a boolean or null
 * 1 byte; a map or list 3 bytes plus, per element, 1 byte and the element's size (a map
 * element's name counted too).
 *
 * Capacity units (same guide, "Read/write capacity mode",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
 * a write 1 WCU per 1 KB, rounded up, of the larger of the item before and after (at least 1,
 * also when a condition fails); a strongly consistent read 1 RCU per 4 KB, rounded up (an
 * eventually consistent one half that); a Query the sum of the items it returns, rounded up to
 * 4 KB as one read.
 *
 * @module
 */

/** Bytes of a UTF-8 string. */
const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Size of a number: 1 byte per two significant digits (leading and trailing zeros trimmed), plus 1. */
export function numberSize(n: number): number {
  const digits = Math.abs(n).toExponential().split('e')[0]?.replace('.', '').replace(/0+$/, '') ?? '';
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Size of one attribute value (document-client shape: string, number, boolean, null, array, object, Set, Uint8Array). */
export function valueSize(v: unknown): number {
  if (v === null || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return utf8(v);
  if (typeof v === 'number' || typeof v === 'bigint') return numberSize(Number(v));
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof Set) return [...(v as Set<unknown>)].reduce<number>((s, x) => s + valueSize(x), 0);
  if (Array.isArray(v)) return 3 + v.reduce<number>((s, x) => s + 1 + valueSize(x), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as Record<string, unknown>).reduce((s, [k, x]) => s + (x === undefined ? 0 : 1 + utf8(k) + valueSize(x)), 0);
  return 0;
}

/** Size of an item, bytes: every attribute's name plus its value (undefined attributes are not stored). */
export function itemSize(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce((s, [k, v]) => s + (v === undefined ? 0 : utf8(k) + valueSize(v)), 0);
}

/** Write capacity units of a write whose item is `bytes` before or after (the larger), at least 1. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** Read capacity units of reading `bytes` (one item, or a Query's items together), at least 1; halved when eventually consistent. */
export const readUnits = (bytes: number, consistent: boolean): number => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
