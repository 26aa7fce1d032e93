import { describe, expect, it } from 'vitest';
import type { SlotCheckpoint, SnapshotProgress } from '../../../../src/source/core/checkpoint.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../../src/source/core/checkpoint.js';
import type { Generation } from '../../../../src/source/core/generation-plan.js';
import {
  decodeSnapshotRequest,
  encodeSnapshotRequest,
  requestProgress,
  resyncDue,
  resyncInProgress,
  startResync,
  type SnapshotRequest,
} from '../../../../src/source/core/snapshot-request.js';
import { tableReadiness } from '../../../../src/source/core/slot-readiness.js';

const unit = (end: bigint) => ({ rangeEnd: end, streams: [Buffer.from([Number(end & 0xffn)])] });
const gens: Generation[] = [{ startMs: 0, endMs: null, units: [unit(-20n), unit(20n), unit(40n)] }];
const st: SlotCheckpoint = { v: 1, table: 'ks.t', slot: 0, slots: 2, genMs: 0, atMs: 150_000, toMs: 151_000, partial: { ab: '*' }, snapshot: null, writtenAtMs: 0 };
const req: SnapshotRequest = { v: 1, id: 'r1', table: 'ks.t', requestedAtMs: 100_000 };
const snap = (p: Partial<SnapshotProgress>): SnapshotProgress => ({ startMs: 50_000, ranges: [['1', '2']], rangePos: 0, afterToken: null, done: true, ...p });

describe('on-demand snapshot requests', () => {
  it('round-trip through their JSON, and an unreadable one is an error, not a silent request', () => {
    expect(decodeSnapshotRequest(encodeSnapshotRequest(req))).toEqual(req);
    expect(decodeSnapshotRequest(null)).toBeUndefined();
    expect(() => decodeSnapshotRequest('{"v":1,"table":"ks.t"}')).toThrow(/unreadable/);
  });

  it('are due once per slot: not again after the slot took them (a restart resumes)', () => {
    expect(resyncDue(st, req)).toBe(true);
    expect(resyncDue(st, undefined)).toBe(false);
    expect(resyncDue(st, { ...req, table: 'ks.other' })).toBe(false);
    expect(resyncDue({ ...st, snapshot: snap({ requestId: 'r1', done: false }) }, req)).toBe(false);
    expect(resyncDue({ ...st, snapshot: snap({ requestId: 'r1', done: true }) }, req)).toBe(false);
    // a newer request replaces the one in progress
    expect(resyncDue({ ...st, snapshot: snap({ requestId: 'r0', done: false }) }, req)).toBe(true);
  });

  it('wait for the initial snapshot, and are covered by one that started after the request (a table added later)', () => {
    expect(resyncDue({ ...st, snapshot: snap({ done: false, startMs: 10_000 }) }, req)).toBe(false);
    expect(resyncDue({ ...st, snapshot: snap({ done: true, startMs: 10_000 }) }, req)).toBe(true);
    expect(resyncDue({ ...st, snapshot: snap({ done: true, startMs: 120_000 }) }, req)).toBe(false);
  });

  it("start from the stream position as it is, with the slot's ranges, stamped a confidence window before the start", () => {
    const next = startResync({ st, req, gens, slot: 0, slots: 2, nowMs: 200_000, confidenceMs: 5_000 });
    // the stream position, window in progress included, is untouched
    expect({ ...next, snapshot: null }).toEqual(st);
    expect(next.snapshot).toEqual({ startMs: 200_000, tsMs: 195_000, requestId: 'r1', rangePos: 0, afterToken: null, done: false, ranges: expect.any(Array) });
    expect(next.snapshot!.ranges.length).toBeGreaterThan(0);
    expect(resyncInProgress(next)).toBe(true);
    // and survive the checkpoint's JSON (a restart must find the request id and the stamp)
    expect(decodeCheckpoint(encodeCheckpoint(next))).toEqual(next);
    // a slot owning no range is done at once
    // the generation of the request, not of the slot's start: every slot cuts its share from the same one
    const switched: Generation[] = [
      { startMs: 0, endMs: 150_000, units: [unit(-20n), unit(20n)] },
      { startMs: 150_000, endMs: null, units: [unit(5n), unit(6n), unit(7n), unit(8n)] },
    ];
    const late = startResync({ st, req, gens: switched, slot: 1, slots: 2, nowMs: 200_000, confidenceMs: 5_000 });
    expect(late.snapshot!.ranges).toEqual([['-20', '20']]);
    const none = startResync({ st, req, gens: [{ startMs: 0, endMs: null, units: [unit(1n)] }], slot: 1, slots: 2, nowMs: 200_000, confidenceMs: 5_000 });
    expect(none.snapshot!.done).toBe(true);
  });

  it('keep the table streaming (readiness), unlike the initial snapshot', () => {
    const running = new Map([['ks.t', { ...st, snapshot: snap({ requestId: 'r1', done: false }) }]]);
    expect(tableReadiness({ kind: 'running' }, ['ks.t'], running, 0)).toEqual([{ table: 'ks.t', streaming: true }]);
    const initial = new Map([['ks.t', { ...st, snapshot: snap({ done: false }) }]]);
    expect(tableReadiness({ kind: 'running' }, ['ks.t'], initial, 0)[0]!.streaming).toBe(false);
  });

  it('report progress summed over the slots, done once every slot is', () => {
    const c = (slot: number, s: SnapshotProgress | null, table = 'ks.t'): SlotCheckpoint => ({ ...st, slot, table, snapshot: s });
    const three = [
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ] as [string, string][];
    const cps = [
      c(0, snap({ requestId: 'r1', ranges: three, rangePos: 1, done: false })),
      c(1, snap({ requestId: 'r1', ranges: three, rangePos: 3, done: true })),
      c(2, snap({ requestId: 'r0' })), // an older request: not this one's
      c(0, snap({ requestId: 'r1', done: false }), 'ks.other'),
    ];
    expect(requestProgress([req], cps, 3)).toEqual([
      { id: 'r1', table: 'ks.t', requestedAt: new Date(100_000).toISOString(), slotsStarted: 2, slotsDone: 1, slots: 3, rangesDone: 4, ranges: 6, done: false },
    ]);
    const all = [
      c(0, snap({ requestId: 'r1', ranges: three, rangePos: 3, done: true })),
      c(1, snap({ startMs: 120_000 })),
      c(2, snap({ requestId: 'r1', ranges: [], done: true })),
    ];
    expect(requestProgress([req], all, 3)[0]).toMatchObject({ slotsDone: 3, done: true, rangesDone: 4, ranges: 4 });
  });
});
