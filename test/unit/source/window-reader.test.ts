/**
 * SOURCE_READ_CONCURRENCY's effect: readWindowRows keeps exactly `concurrency` log queries in flight
 * (fewer only when there are fewer units), reads each unit once, and returns rows in unit order
 * whatever order the queries finish in.
 */
import { describe, expect, it } from 'vitest';
import type { TableModel } from '../../../src/schema/table-model.js';
import type { StreamUnit } from '../../../src/source/core/generation-plan.js';
import type { CdcLogRow } from '../../../src/source/core/log-row.js';
import type { LogReader } from '../../../src/source/log-reader.js';
import { readWindowRows } from '../../../src/source/window-reader.js';

const model = { columns: [] } as unknown as TableModel;

function units(n: number): StreamUnit[] {
  return Array.from({ length: n }, (_, i) => ({ rangeEnd: BigInt(i), streams: [Uint8Array.of(i)] }));
}

/** A log reader that answers each query after a few event-loop turns (later units sooner) and counts queries in flight. */
function countingReader() {
  const stats = { inFlight: 0, max: 0, calls: [] as number[] };
  const reader = {
    async *readWindow(_t: TableModel, streams: Buffer[]) {
      const id = streams[0]![0]!;
      stats.calls.push(id);
      stats.inFlight++;
      stats.max = Math.max(stats.max, stats.inFlight);
      for (let i = 0; i < 20 - (id % 7); i++) await new Promise((r) => setImmediate(r));
      stats.inFlight--;
      yield { columns: [], rows: [{ seq: id } as unknown as CdcLogRow] };
    },
  };
  return { reader: reader as unknown as LogReader, stats };
}

describe('readWindowRows', () => {
  it.each([1, 3, 8])('keeps %i queries in flight over 16 units', async (concurrency) => {
    const { reader, stats } = countingReader();
    const res = await readWindowRows(reader, model, units(16), 0, 1000, concurrency);
    expect(stats.max).toBe(concurrency);
    expect([...stats.calls].sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
    expect(res.unitRows.map((rows) => rows.map((r) => r.seq))).toEqual([...Array(16).keys()].map((i) => [i]));
  });

  it('never starts more queries than there are units', async () => {
    const { reader, stats } = countingReader();
    await readWindowRows(reader, model, units(2), 0, 1000, 8);
    expect(stats.max).toBe(2);
  });
});
