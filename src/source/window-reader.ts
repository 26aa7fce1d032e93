import type { TableModel } from '../schema/table-model.js';
import type { StreamUnit } from './core/generation-plan.js';
import { hasDrift, logColumnDrift } from './core/log-columns.js';
import { hex, type CdcLogRow } from './core/log-row.js';
import type { LogReader } from './log-reader.js';
import { scyllaQuery } from './scylla-query.js';

export interface WindowRows {
  /** The rows of each unit, in `units` order (they are emitted in that order). */
  unitRows: CdcLogRow[][];
  /** A page had columns the table model lacks or lacked some it has (ALTER TABLE): re-discover. */
  drift: boolean;
}

/**
 * Reads `[fromMs, toMs)` of every unit, `concurrency` queries at a time: one query per group of
 * units (`groups`, from `LogReader.groups`; one unit per group = one query per unit), its rows
 * handed back to their units by stream id.
 */
export async function readWindowRows(
  reader: LogReader,
  model: TableModel,
  units: readonly StreamUnit[],
  fromMs: number,
  toMs: number,
  concurrency: number,
  groups: readonly number[][] = units.map((_, i) => [i]),
): Promise<WindowRows> {
  const unitRows: CdcLogRow[][] = units.map(() => []);
  let drift = false;
  await forEachLimited(groups.length, concurrency, async (g) => {
    const members = groups[g]!;
    const streams = members.flatMap((i) => units[i]!.streams as Buffer[]);
    const rows: CdcLogRow[] = [];
    await scyllaQuery('window', async () => {
      for await (const page of reader.readWindow(model, streams, fromMs, toMs)) {
        if (!drift && hasDrift(logColumnDrift(model, page.columns))) drift = true;
        rows.push(...page.rows);
      }
    });
    if (rows.length === 0) return; // the usual idle answer: no stream map to build
    if (members.length === 1) {
      unitRows[members[0]!] = rows;
      return;
    }
    const unitOf = new Map<string, number>();
    for (const i of members) for (const s of units[i]!.streams) unitOf.set(hex(s as Uint8Array), i);
    for (const r of rows) unitRows[unitOf.get(hex(r.streamId))!]!.push(r);
  });
  return { unitRows, drift };
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
