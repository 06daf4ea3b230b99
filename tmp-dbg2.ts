import { simulate, stopSimulator } from './cli/simulate.ts';
const log: string[] = [];
const r = await simulate({ tracePath: 'samples/week.jsonl', days: 1, onPublished: (e, at) => { if (e['detail-type'] === 'RoomPlaced' && (e.detail as any).waitedMs > 110000) log.push(`${(at / 1000).toFixed(0)} LONGWAIT ${JSON.stringify(e.detail)}`); } });
console.log(JSON.stringify(r.summary), r.unplacedRoomIds);
console.log(log.join('\n'));
await stopSimulator();
