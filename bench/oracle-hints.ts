/**
 * `node --import tsx bench/oracle-hints.ts <in.jsonl> <out.jsonl>`: write a trace file whose
 * `RoomCreated` lines carry oracle hints (`oracleHints`, bench/hint-variants.ts: each placement's
 * true duration), e.g. for `wcs-autoscaler simulate --trace <out.jsonl>` — the lifetime-aware
 * policy's ceiling through the real handlers. The simulator itself never reads a room's true end.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { TraceEvent } from '../sim/trace/model.ts';
import { oracleHints } from './hint-variants.ts';

const [, , input, output] = process.argv;
if (!input || !output) {
  console.error('usage: node --import tsx bench/oracle-hints.ts <in.jsonl> <out.jsonl>');
  process.exit(2);
}
const lines = (await readFile(input, 'utf8')).split('\n').filter((l) => l.trim() !== '');
const hinted = oracleHints(lines.map((l) => JSON.parse(l) as TraceEvent));
await writeFile(output, hinted.map((e) => JSON.stringify(e)).join('\n') + '\n');
