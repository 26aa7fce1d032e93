/**
 * kafkajs's read_committed filter must drop the records of every aborted transaction, also when
 * several start before the next record (two producers of a killed source, both aborted on fencing).
 * Guards scripts/patch-kafkajs.mjs (run on install).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
type Msg = { offset: string; key: Buffer | null; value: string; batchContext: { producerId: string; inTransaction: boolean } };
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages.js') as (a: { messages: Msg[]; abortedTransactions: { firstOffset: string; producerId: string }[] }) => Msg[];

const rec = (offset: number, producerId: string, value: string): Msg => ({ offset: String(offset), key: Buffer.from('k'), value, batchContext: { producerId, inTransaction: true } });
const abortMarker = (offset: number, producerId: string): Msg => ({ offset: String(offset), key: Buffer.from([0, 0, 0, 0]), value: '', batchContext: { producerId, inTransaction: true } });

describe('read_committed filter (kafkajs, patched on install)', () => {
  it('drops records of two aborted transactions that both began before the next record', () => {
    const messages = [rec(10, 'A', 'a1'), rec(11, 'B', 'b1'), rec(12, 'B', 'b2'), rec(13, 'B', 'b3'), abortMarker(14, 'A'), abortMarker(15, 'B'), rec(16, 'C', 'c1')];
    // The fetch starts at offset 12 with B's records: both aborted transactions (first offsets 10
    // and 11) are open; the unpatched filter activated only A here and let b2 through.
    const out = filterAbortedMessages({ messages: messages.slice(2), abortedTransactions: [{ firstOffset: '10', producerId: 'A' }, { firstOffset: '11', producerId: 'B' }] });
    expect(out.filter((m) => m.value !== '').map((m) => m.value)).toEqual(['c1']);
  });

  it('keeps a producer\'s committed records after its aborted transaction ends', () => {
    const messages = [rec(0, 'A', 'aborted'), abortMarker(1, 'A'), rec(2, 'A', 'committed')];
    const out = filterAbortedMessages({ messages, abortedTransactions: [{ firstOffset: '0', producerId: 'A' }] });
    expect(out.filter((m) => m.value !== '').map((m) => m.value)).toEqual(['committed']);
  });
});
