/**
 * kafkajs's read_committed filter must drop the records of every aborted transaction, also when
 * several start before the next record (two producers of a killed source, both aborted on fencing).
 * Guards patches/kafkajs+2.2.4.patch (applied by patch-package on install) and the start-up check
 * that refuses to run without it (src/clients/kafkajs-fix.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { abortFilterIsFixed, assertKafkajsFixed, KafkajsUnpatchedError, type AbortFilter } from '../../../src/clients/kafkajs-fix.js';

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

describe('start-up check of the kafkajs fix', () => {
  // The installed module with the patch taken out again: what `npm ci --ignore-scripts` leaves.
  const file = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
  const unpatched = (): AbortFilter => {
    const source = readFileSync(file, 'utf8').replace(/while \(\n(\s+remainingAbortedTransactions\.length &&)/, 'if (\n$1');
    expect(source).not.toMatch(/while \(\n\s+remainingAbortedTransactions/);
    const mod = { exports: {} as unknown };
    new Function('require', 'module', 'exports', source)(createRequire(file), mod, mod.exports);
    return mod.exports as AbortFilter;
  };

  it('accepts the installed (patched) kafkajs', () => {
    expect(abortFilterIsFixed(filterAbortedMessages as unknown as AbortFilter)).toBe(true);
    expect(() => assertKafkajsFixed()).not.toThrow();
  });

  it('refuses an unpatched kafkajs with a message that says what to do', () => {
    expect(abortFilterIsFixed(unpatched())).toBe(false);
    expect(() => assertKafkajsFixed(unpatched)).toThrow(KafkajsUnpatchedError);
    expect(() => assertKafkajsFixed(unpatched)).toThrow(/npx patch-package/);
  });
});
