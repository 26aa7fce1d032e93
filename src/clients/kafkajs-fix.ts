/**
 * kafkajs 2.2.4's read_committed filter (src/consumer/filterAbortedMessages.js) lets records of
 * aborted transactions through in two ways, both fixed by patches/kafkajs+2.2.4.patch (applied by
 * patch-package on install; kafkajs is unmaintained):
 * - it activated at most one aborted transaction per record (`if` where `while` is needed): when two
 *   aborted transactions start before the next record (the producers of a killed source, both
 *   aborted when fenced), the second one's records got through;
 * - it walks the fetch response's aborted transactions as if sorted by first offset, but the broker
 *   lists them in the order they ended (its transaction index is appended when the ABORT marker is
 *   written): a transaction that began earlier but was aborted later than another one was never
 *   activated before its records, so they got through (issue 20: the duplicates after a broker
 *   restart). Kafka's Java consumer sorts them by first offset (clients/.../internals/CompletedFetch.java,
 *   a PriorityQueue on firstOffset); so does the patch.
 * An install that skipped the patch (`npm ci --ignore-scripts`, a package manager without
 * postinstall) would silently duplicate records, so every process checks the behaviour itself before
 * its first Kafka client, and refuses to run without the fix.
 */
import { createRequire } from 'node:module';

type Msg = { offset: string; key: Buffer | null; value: string; batchContext: { producerId: string; inTransaction: boolean } };
export type AbortFilter = (a: { messages: Msg[]; abortedTransactions: { firstOffset: string; producerId: string }[] }) => Msg[];

const require = createRequire(import.meta.url);

const rec = (offset: number, producerId: string, value: string): Msg => ({
  offset: String(offset),
  key: Buffer.from('k'),
  value,
  batchContext: { producerId, inTransaction: true },
});
const marker = (offset: number, producerId: string): Msg => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, 0]),
  value: '',
  batchContext: { producerId, inTransaction: true },
});
const kept = (filter: AbortFilter, messages: Msg[], aborted: [firstOffset: number, producerId: string][]): string =>
  filter({ messages, abortedTransactions: aborted.map(([firstOffset, producerId]) => ({ firstOffset: String(firstOffset), producerId })) })
    .filter((m) => m.value !== '')
    .map((m) => m.value)
    .join(',');

/**
 * true when `filter` drops the records of every aborted transaction: two that both began before the
 * first record it sees, and two listed in the order they ended (B began after A but was aborted first).
 */
export function abortFilterIsFixed(filter: AbortFilter): boolean {
  const bothOpen = kept(
    filter,
    [rec(12, 'B', 'b2'), rec(13, 'B', 'b3'), marker(14, 'A'), marker(15, 'B'), rec(16, 'C', 'c1')],
    [
      [10, 'A'],
      [11, 'B'],
    ],
  );
  const endOrder = kept(
    filter,
    [rec(0, 'A', 'a1'), rec(1, 'B', 'b1'), marker(2, 'B'), marker(3, 'A'), rec(4, 'C', 'c1')],
    [
      [1, 'B'],
      [0, 'A'],
    ],
  );
  return bothOpen === 'c1' && endOrder === 'c1';
}

export class KafkajsUnpatchedError extends Error {
  readonly exitCode = 1;
  constructor() {
    super(
      'kafkajs is installed without the read_committed fix (patches/kafkajs+2.2.4.patch): consumers would see records of aborted transactions. ' +
        'Reinstall with install scripts enabled (npm ci), or run `npx patch-package` in the installation directory, then start again.',
    );
    this.name = 'KafkajsUnpatchedError';
  }
}

const installed = (): AbortFilter => require('kafkajs/src/consumer/filterAbortedMessages.js') as AbortFilter;
let installedVerified = false;

/** Throws KafkajsUnpatchedError unless kafkajs has the fix; the installed one is checked once per process. */
export function assertKafkajsFixed(load: () => AbortFilter = installed): void {
  if (load === installed && installedVerified) return;
  if (!abortFilterIsFixed(load())) throw new KafkajsUnpatchedError();
  if (load === installed) installedVerified = true;
}
