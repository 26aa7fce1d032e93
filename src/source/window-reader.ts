import type { TableModel } from '../schema/table-model.js';
import type { StreamUnit } from './core/generation-plan.js';
import type { LogPage, LogReader } from './log-reader.js';
import { scyllaFailure, scyllaQuery, scyllaSucceeded } from './scylla-query.js';

/**
 * Streams `[fromMs, toMs)` of every group of units (`groups`, from `LogReader.groups`; one unit
 * per group = one query per unit), `concurrency` queries at a time, handing each page to `onPage`
 * as it arrives and calling `onEnd` with a query's streams once it has no more pages. The calls run one at a time, in each query's page order; a query
 * fetches its next page only once `onPage` took the last one, so a slot holds at most
 * `concurrency` pages of log rows whatever the window's size. After a call fails, no further call
 * runs (the window is abandoned; the slot resumes from its last committed checkpoint).
 *
 * The process's pages are bounded too (`reader.inflight`, SOURCE_MAX_INFLIGHT_BYTES): a query
 * reserves its next page (the size of its largest one so far, or the table's) before fetching it,
 * and the page counts until `onPage` returned. When it does not fit, `flush` (in turn with the
 * other calls) commits what the slot holds before the query waits for room.
 */
export async function streamWindowPages(
  reader: LogReader,
  model: TableModel,
  units: readonly StreamUnit[],
  fromMs: number,
  toMs: number,
  concurrency: number,
  groups: readonly number[][],
  onPage: (page: LogPage) => Promise<void>,
  onEnd: (streams: Buffer[]) => Promise<void>,
  flush: () => Promise<void> = async () => undefined,
): Promise<void> {
  const serial = new Serial();
  const { inflight } = reader;
  await forEachLimited(groups.length, concurrency, async (g) => {
    const streams = groups[g]!.flatMap((i) => units[i]!.streams as Buffer[]);
    const pages = reader.readWindow(model, streams, fromMs, toMs);
    let expected = reader.expectedPageBytes(model);
    for (;;) {
      if (!inflight.admits(expected)) await serial.run(flush);
      await inflight.reserve(expected);
      let next: IteratorResult<LogPage>;
      try {
        next = await pages.next();
      } catch (err) {
        inflight.release(expected);
        throw scyllaFailure('window', err);
      }
      const page = next.done ? null : next.value;
      // from here the page itself counts, not what was reserved for it
      if (page && page.bytes > expected) inflight.add(page.bytes - expected);
      else inflight.release(expected - (page?.bytes ?? 0));
      if (!page) break;
      expected = Math.max(page.bytes, expected);
      try {
        await serial.run(() => onPage(page));
      } finally {
        inflight.release(page.bytes);
      }
    }
    scyllaSucceeded('window');
    await serial.run(() => onEnd(streams));
  });
}

/** Runs calls one after another; once one failed, every later one fails with that error. */
class Serial {
  private tail: Promise<void> = Promise.resolve();
  private failed: { err: unknown } | null = null;

  run(fn: () => Promise<void>): Promise<void> {
    const p = this.tail.then(() => {
      if (this.failed) throw this.failed.err;
      return fn();
    });
    this.tail = p.catch((err: unknown) => {
      this.failed ??= { err };
    });
    return p;
  }
}

/**
 * The earliest row time of each group of units in `[fromMs, limitMs)` (PER PARTITION LIMIT 1
 * probes), `concurrency` at a time: all of a slot's probes at once timed out at 204,800 streams.
 */
export async function probeGroups(
  reader: LogReader,
  model: TableModel,
  units: readonly StreamUnit[],
  groups: readonly number[][],
  fromMs: number,
  limitMs: number,
  concurrency: number,
): Promise<(number | null)[]> {
  const firsts: (number | null)[] = new Array(groups.length).fill(null);
  await forEachLimited(groups.length, concurrency, async (g) => {
    firsts[g] = await scyllaQuery('probe', () =>
      reader.probe(
        model,
        groups[g]!.flatMap((i) => units[i]!.streams as Buffer[]),
        fromMs,
        limitMs,
      ),
    );
  });
  return firsts;
}

/** Runs fn(0 … count−1), at most `concurrency` at a time; the first failure rejects. */
async function forEachLimited(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
