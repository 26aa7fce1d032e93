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
): Promise<void> {
  const serial = new Serial();
  await forEachLimited(groups.length, concurrency, async (g) => {
    const streams = groups[g]!.flatMap((i) => units[i]!.streams as Buffer[]);
    const pages = reader.readWindow(model, streams, fromMs, toMs);
    for (;;) {
      let next: IteratorResult<LogPage>;
      try {
        next = await pages.next();
      } catch (err) {
        throw scyllaFailure('window', err);
      }
      if (next.done) break;
      const page = next.value;
      await serial.run(() => onPage(page));
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
