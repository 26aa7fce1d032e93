/**
 * kafkajs's read_committed filter must drop the records of every aborted transaction, also when
 * several start before the next record (two producers of a killed source, both aborted on fencing),
 * and when the broker lists them in the order they ended rather than by first offset.
 * Guards patches/kafkajs+2.2.4.patch (applied by patch-package on install) and the start-up check
 * that refuses to run without it (src/clients/kafkajs-fix.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { abortFilterIsFixed, assertKafkajsFixed, KafkajsUnpatchedError, type AbortFilter } from '../../../src/clients/kafkajs-fix.js';

const require = createRequire(import.meta.url);
type Msg = { offset: string; key: Buffer | null; value: string; batchContext: { producerId: string; inTransaction: boolean } };
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages.js') as (a: {
  messages: Msg[];
  abortedTransactions: { firstOffset: string; producerId: string }[];
}) => Msg[];

const rec = (offset: number, producerId: string, value: string): Msg => ({
  offset: String(offset),
  key: Buffer.from('k'),
  value,
  batchContext: { producerId, inTransaction: true },
});
const abortMarker = (offset: number, producerId: string): Msg => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, 0]),
  value: '',
  batchContext: { producerId, inTransaction: true },
});

describe('read_committed filter (kafkajs, patched on install)', () => {
  it('drops records of two aborted transactions that both began before the next record', () => {
    const messages = [rec(10, 'A', 'a1'), rec(11, 'B', 'b1'), rec(12, 'B', 'b2'), rec(13, 'B', 'b3'), abortMarker(14, 'A'), abortMarker(15, 'B'), rec(16, 'C', 'c1')];
    // The fetch starts at offset 12 with B's records: both aborted transactions (first offsets 10
    // and 11) are open; the unpatched filter activated only A here and let b2 through.
    const out = filterAbortedMessages({
      messages: messages.slice(2),
      abortedTransactions: [
        { firstOffset: '10', producerId: 'A' },
        { firstOffset: '11', producerId: 'B' },
      ],
    });
    expect(out.filter((m) => m.value !== '').map((m) => m.value)).toEqual(['c1']);
  });

  it('drops records of aborted transactions listed in the order they ended, not by first offset', () => {
    // What the broker sent after the restart in issue 20 (DumpLogSegments of the partition): the
    // transaction index lists B (first offset 1, aborted at 2) before A (first offset 0, aborted at
    // 3). Walking the list as given, A was never activated before a1 and a1 got through.
    const messages = [rec(0, 'A', 'a1'), rec(1, 'B', 'b1'), abortMarker(2, 'B'), abortMarker(3, 'A'), rec(4, 'C', 'c1')];
    const out = filterAbortedMessages({
      messages,
      abortedTransactions: [
        { firstOffset: '1', producerId: 'B' },
        { firstOffset: '0', producerId: 'A' },
      ],
    });
    expect(out.filter((m) => m.value !== '').map((m) => m.value)).toEqual(['c1']);
  });

  it('compares first offsets as 64-bit numbers, not as strings', () => {
    const messages = [rec(9, 'A', 'a1'), rec(10, 'B', 'b1'), abortMarker(11, 'B'), abortMarker(12, 'A'), rec(13, 'C', 'c1')];
    const out = filterAbortedMessages({
      messages,
      abortedTransactions: [
        { firstOffset: '10', producerId: 'B' },
        { firstOffset: '9', producerId: 'A' },
      ],
    });
    expect(out.filter((m) => m.value !== '').map((m) => m.value)).toEqual(['c1']);
  });

  it("keeps a producer's committed records after its aborted transaction ends", () => {
    const messages = [rec(0, 'A', 'aborted'), abortMarker(1, 'A'), rec(2, 'A', 'committed')];
    const out = filterAbortedMessages({ messages, abortedTransactions: [{ firstOffset: '0', producerId: 'A' }] });
    expect(out.filter((m) => m.value !== '').map((m) => m.value)).toEqual(['committed']);
  });
});

describe('start-up check of the kafkajs fix', () => {
  // The installed module with one part of the patch taken out again: what an install without the
  // patch (`npm ci --ignore-scripts`) or with the older, one-change patch leaves.
  const file = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
  const patched = readFileSync(file, 'utf8');
  const withSource = (source: string) => (): AbortFilter => {
    expect(source).not.toBe(patched);
    const mod = { exports: {} as unknown };
    new Function('require', 'module', 'exports', source)(createRequire(file), mod, mod.exports);
    return mod.exports as AbortFilter;
  };
  const withoutWhile = withSource(patched.replace(/while \(\n(\s+remainingAbortedTransactions\.length &&)/, 'if (\n$1'));
  const withoutSort = withSource(patched.replace(/\[\.\.\.abortedTransactions\]\.sort\([^]*?\n {2}\)\n/, '[...abortedTransactions]\n'));

  it('accepts the installed (patched) kafkajs', () => {
    expect(abortFilterIsFixed(filterAbortedMessages as unknown as AbortFilter)).toBe(true);
    expect(() => assertKafkajsFixed()).not.toThrow();
  });

  it.each([
    ['one aborted transaction activated per record', withoutWhile],
    ['aborted transactions taken in the order the broker lists them', withoutSort],
  ])('refuses a kafkajs with %s, with a message that says what to do', (_, unpatched) => {
    expect(abortFilterIsFixed(unpatched())).toBe(false);
    expect(() => assertKafkajsFixed(unpatched)).toThrow(KafkajsUnpatchedError);
    expect(() => assertKafkajsFixed(unpatched)).toThrow(/npx patch-package/);
  });
});
