import { describe, expect, it } from 'vitest';
import { hex, OP, type CdcLogRow } from '../../../../src/source/core/log-row.js';
import type { SlotCheckpoint } from '../../../../src/source/core/checkpoint.js';
import { WindowCursor, windowBatches, type WindowBatch, type WindowBatchesInput } from '../../../../src/source/core/window-batches.js';
import { row, T2 } from './fixtures.js';

const A = Buffer.from('7fffffffffffffff55ebbda510000001', 'hex');
const B = Buffer.from('0000000000000001aaaaaaaa10000001', 'hex');
// timeuuids 1 µs apart (time_low + 10 × 100 ns)
const t = (i: number) => `${(0x04afc00a + 10 * i).toString(16).padStart(8, '0')}-833b-11ee-8a7b-24e4fb3f20b9`;
const insert = (stream: Buffer, i: number, pk: number): CdcLogRow => row(OP.INSERT, 0, { pk, v: i }, { streamId: stream, time: t(i), endOfBatch: true });

const st: SlotCheckpoint = { v: 1, table: 'ks.t2', slot: 0, slots: 1, genMs: 0, atMs: 1_000, toMs: null, partial: {}, snapshot: null, writtenAtMs: 0 };
const units = [
  { rangeEnd: 0n, streams: [A] },
  { rangeEnd: 1n, streams: [B] },
];
const unitRows = [[insert(A, 1, 1)], [insert(B, 2, 2), insert(B, 3, 3)]];
const input = (over: Partial<WindowBatchesInput> = {}): WindowBatchesInput => ({
  model: T2,
  st,
  fromMs: 1_000,
  toMs: 2_000,
  units,
  unitRows,
  env: { sourceName: 'src', version: 'test', nowMs: 0 },
  maxRecords: 100,
  ...over,
});

function run(i: WindowBatchesInput): { cut: WindowBatch[]; last: WindowBatch } {
  const gen = windowBatches(i);
  const cut: WindowBatch[] = [];
  for (let r = gen.next(); ; r = gen.next()) {
    if (r.done) return { cut, last: r.value };
    cut.push(r.value);
  }
}
const pks = (b: WindowBatch) => b.records.map((r) => (r.key as { pk: number }).pk);

describe('windowBatches', () => {
  it('emits a small window in one batch that moves the position to the window end', () => {
    const { cut, last } = run(input());
    expect(cut).toEqual([]);
    expect(pks(last)).toEqual([1, 2, 3]);
    expect(last.checkpoint).toEqual({ ...st, atMs: 2_000, toMs: null, partial: {} });
  });
  it('cuts every maxRecords, naming finished streams DONE and the last change out of the open one', () => {
    const { cut, last } = run(input({ maxRecords: 2 }));
    expect(cut.map(pks)).toEqual([[1, 2]]);
    expect(cut[0]!.checkpoint).toEqual({ ...st, atMs: 1_000, toMs: 2_000, partial: { [hex(A)]: '*', [hex(B)]: t(2) } });
    expect(pks(last)).toEqual([3]);
    expect(last.checkpoint).toMatchObject({ atMs: 2_000, toMs: null, partial: {} });
  });
  it('resumes a cut window: skips DONE streams and the changes up to the named one', () => {
    const resumed = { ...st, toMs: 2_000, partial: { [hex(A)]: '*', [hex(B)]: t(2) } };
    const { cut, last } = run(input({ st: resumed }));
    expect(cut).toEqual([]);
    expect(pks(last)).toEqual([3]);
  });
  it('names only streams that had changes in a cut window, never the empty ones', () => {
    const E = Buffer.from('1000000000000001bbbbbbbb10000001', 'hex'); // a stream of the same unit, no rows
    const wide = [
      { rangeEnd: 0n, streams: [E, A] },
      { rangeEnd: 1n, streams: [B] },
    ];
    const { cut } = run(input({ units: wide, maxRecords: 2 }));
    expect(cut.map(pks)).toEqual([[1, 2]]);
    expect(cut[0]!.checkpoint.partial).toEqual({ [hex(A)]: '*', [hex(B)]: t(2) });
  });
});

describe('WindowCursor (a window streamed page by page)', () => {
  const times = (chs: { time: string }[]) => chs.map((c) => c.time);
  it('holds back a change whose end-of-batch row is in the next page', () => {
    const c = new WindowCursor(st, 1_000, 2_000);
    const first = row(OP.UPDATE, 0, { pk: 1, v: 1 }, { streamId: A, time: t(1) });
    const second = row(OP.UPDATE, 1, { pk: 1, v: 2 }, { streamId: A, time: t(1), endOfBatch: true });
    expect(c.changes([insert(A, 0, 0), first])).toHaveLength(1);
    const done = c.changes([second]);
    expect(done.map((ch) => ch.rows.length)).toEqual([2]);
  });
  it('names the last change out of a stream whose query has not ended, DONE once it has', () => {
    const c = new WindowCursor(st, 1_000, 2_000);
    const [a1] = c.changes([insert(A, 1, 1), insert(B, 2, 2)]);
    c.emitted(a1!);
    expect(c.cut().partial).toEqual({ [hex(A)]: t(1) });
    c.done([A, B]);
    expect(c.cut()).toEqual({ ...st, atMs: 1_000, toMs: 2_000, partial: { [hex(A)]: '*', [hex(B)]: '*' } });
    expect(c.end()).toEqual({ ...st, atMs: 2_000, toMs: null, partial: {} });
  });
  it('resumes from marks: a DONE stream yields nothing, a named one only what follows its change', () => {
    const c = new WindowCursor({ ...st, toMs: 2_000, partial: { [hex(A)]: '*', [hex(B)]: t(2) } }, 1_000, 2_000);
    expect(times(c.changes([insert(A, 1, 1), insert(B, 2, 2), insert(B, 3, 3)]))).toEqual([t(3)]);
  });
  it('gives the unfinished change of a query out when the query ends', () => {
    const c = new WindowCursor(st, 1_000, 2_000);
    expect(c.changes([row(OP.UPDATE, 0, { pk: 1, v: 1 }, { streamId: A, time: t(4) })])).toEqual([]);
    expect(times(c.ended([A, B]))).toEqual([t(4)]);
    expect(c.ended([A])).toEqual([]);
  });
});
