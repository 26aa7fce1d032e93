/**
 * SOURCE_READ_CONCURRENCY's effect: streamWindowPages keeps exactly `concurrency` log queries in
 * flight (fewer only when there are fewer units), reads each unit once, hands each query's pages
 * over in order and one call at a time, and ends each query with its own streams.
 * SOURCE_MAX_INFLIGHT_BYTES's: a page counts from its arrival until it was handed over, and the
 * pages a process holds stay within the limit whatever the concurrency.
 */
import { describe, expect, it } from 'vitest';
import type { TableModel } from '../../../src/schema/table-model.js';
import type { StreamUnit } from '../../../src/source/core/generation-plan.js';
import type { CdcLogRow } from '../../../src/source/core/log-row.js';
import { InflightBytes } from '../../../src/source/inflight-bytes.js';
import type { LogReader } from '../../../src/source/log-reader.js';
import { streamWindowPages } from '../../../src/source/window-reader.js';

const model = { columns: [] } as unknown as TableModel;

function units(n: number): StreamUnit[] {
  return Array.from({ length: n }, (_, i) => ({ rangeEnd: BigInt(i), streams: [Uint8Array.of(i)] }));
}

/**
 * A log reader that answers each query after a few event-loop turns (later units sooner), counts
 * queries in flight and pages fetched but not yet handed over; each page is `pageBytes` on the wire.
 */
function countingReader(limit = Number.MAX_SAFE_INTEGER, pageBytes = 0) {
  const stats = { inFlight: 0, max: 0, calls: [] as number[], held: 0, maxHeld: 0 };
  const fetched = () => {
    stats.held++;
    stats.maxHeld = Math.max(stats.maxHeld, stats.held);
  };
  const reader = {
    inflight: new InflightBytes(limit),
    expectedPageBytes: () => pageBytes,
    async *readWindow(_t: TableModel, streams: Buffer[]) {
      const id = streams[0]![0]!;
      stats.calls.push(id);
      stats.inFlight++;
      stats.max = Math.max(stats.max, stats.inFlight);
      for (let i = 0; i < 20 - (id % 7); i++) await new Promise((r) => setImmediate(r));
      fetched();
      yield { columns: [], rows: [{ seq: id } as unknown as CdcLogRow], bytes: pageBytes };
      await new Promise((r) => setImmediate(r));
      fetched();
      yield { columns: [], rows: [{ seq: id + 100 } as unknown as CdcLogRow], bytes: pageBytes };
      stats.inFlight--;
    },
  };
  return { reader: reader as unknown as LogReader, stats };
}

/** Runs streamWindowPages with handlers that log each call and check that none overlaps another. */
async function stream(reader: LogReader, n: number, concurrency: number, onPageDone = () => {}) {
  const calls: string[] = [];
  let busy = false;
  const exclusive = async (what: string) => {
    expect(busy).toBe(false);
    busy = true;
    calls.push(what);
    await new Promise((r) => setImmediate(r));
    busy = false;
  };
  const u = units(n);
  await streamWindowPages(
    reader,
    model,
    u,
    0,
    1000,
    concurrency,
    u.map((_, i) => [i]),
    async (page) => {
      await exclusive(`page ${page.rows.map((r) => r.seq).join()}`);
      onPageDone();
    },
    (streams) => exclusive(`end ${streams[0]![0]}`),
    () => exclusive('flush'),
  );
  return calls;
}

describe('streamWindowPages', () => {
  it.each([1, 3, 8])('keeps %i queries in flight over 16 units', async (concurrency) => {
    const { reader, stats } = countingReader();
    const calls = await stream(reader, 16, concurrency);
    expect(stats.max).toBe(concurrency);
    expect([...stats.calls].sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
    // per unit: its two pages in order, then its end
    for (let i = 0; i < 16; i++) {
      const mine = calls.filter((c) => c === `page ${i}` || c === `page ${i + 100}` || c === `end ${i}`);
      expect(mine).toEqual([`page ${i}`, `page ${i + 100}`, `end ${i}`]);
    }
  });

  it('never starts more queries than there are units', async () => {
    const { reader, stats } = countingReader();
    await stream(reader, 2, 8);
    expect(stats.max).toBe(2);
  });

  it('counts a page from its arrival until it was handed over', async () => {
    const { reader } = countingReader(1 << 20, 40);
    const seen: number[] = [];
    await streamWindowPages(
      reader,
      model,
      units(1),
      0,
      1000,
      1,
      [[0]],
      async () => void seen.push(reader.inflight.bytes),
      async () => void seen.push(reader.inflight.bytes),
    );
    expect(seen).toEqual([40, 40, 0]);
    expect(reader.inflight.bytes).toBe(0);
  });

  it('holds no more pages than fit in the limit, whatever the concurrency; the slot flushes before a query waits', async () => {
    const { reader, stats } = countingReader(100, 40);
    const calls = await stream(reader, 16, 8, () => stats.held--);
    expect(stats.max).toBeGreaterThan(1); // queries still overlap: the bound is on pages, not queries
    expect(stats.maxHeld).toBe(2); // 2 × 40 fit in 100, a third does not
    expect(calls.filter((c) => c.startsWith('page'))).toHaveLength(32);
    expect(calls).toContain('flush');
    expect(reader.inflight.bytes).toBe(0);
  });

  it('makes no call after one failed', async () => {
    const { reader } = countingReader();
    const calls: string[] = [];
    const u = units(4);
    const run = streamWindowPages(
      reader,
      model,
      u,
      0,
      1000,
      4,
      u.map((_, i) => [i]),
      async (page) => {
        calls.push(`page ${page.rows[0]!.seq}`);
        throw new Error('commit failed');
      },
      async () => void calls.push('end'),
    );
    await expect(run).rejects.toThrow('commit failed');
    for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1);
  });
});
