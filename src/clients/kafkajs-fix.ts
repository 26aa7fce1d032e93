/**
 * kafkajs 2.2.4's read_committed filter (src/consumer/filterAbortedMessages.js) activates at most
 * one aborted transaction per record (`if` where `while` is needed): when two aborted transactions
 * start before the next record (the producers of a killed source, both aborted when fenced), the
 * second one's records reach read_committed consumers. kafkajs is unmaintained, so the fix ships as
 * patches/kafkajs+2.2.4.patch, applied by patch-package on install. An install that skipped it
 * (`npm ci --ignore-scripts`, a package manager without postinstall) would silently duplicate
 * records, so every process checks the behaviour itself before its first Kafka client, and refuses
 * to run without the fix.
 */
import { createRequire } from 'node:module';

type Msg = { offset: string; key: Buffer | null; value: string; batchContext: { producerId: string; inTransaction: boolean } };
export type AbortFilter = (a: { messages: Msg[]; abortedTransactions: { firstOffset: string; producerId: string }[] }) => Msg[];

const require = createRequire(import.meta.url);

/** true when `filter` drops the records of two aborted transactions that both began before the first record it sees. */
export function abortFilterIsFixed(filter: AbortFilter): boolean {
  const rec = (offset: number, producerId: string, value: string): Msg => ({ offset: String(offset), key: Buffer.from('k'), value, batchContext: { producerId, inTransaction: true } });
  const marker = (offset: number, producerId: string): Msg => ({ offset: String(offset), key: Buffer.from([0, 0, 0, 0]), value: '', batchContext: { producerId, inTransaction: true } });
  const messages = [rec(12, 'B', 'b2'), rec(13, 'B', 'b3'), marker(14, 'A'), marker(15, 'B'), rec(16, 'C', 'c1')];
  const kept = filter({ messages, abortedTransactions: [{ firstOffset: '10', producerId: 'A' }, { firstOffset: '11', producerId: 'B' }] });
  return kept.filter((m) => m.value !== '').map((m) => m.value).join(',') === 'c1';
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
