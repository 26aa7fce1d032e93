import { describe, expect, it } from 'vitest';
import { adaptWindowMs, idlePass, jumpAfterProbe, nextPassDelayMs, planWindow, probeLimit, rowsAfterIdle, spreadIdleMs } from '../../../../src/source/core/window-planner.js';
import {
  generationAt,
  generationIntervals,
  isExpired,
  nextPositionStep,
  oldestLivePosition,
  tokenRangesForSlot,
  unitsForSlot,
} from '../../../../src/source/core/generation-plan.js';
import { createResumeFilter } from '../../../../src/source/core/resume-filter.js';
import { murmur2, partitionFor } from '../../../../src/source/core/murmur2.js';
import { checkpointKey, decodeCheckpoint, encodeCheckpoint, type SlotCheckpoint } from '../../../../src/source/core/checkpoint.js';
import { streamToken, streamVnodeIndex } from '../../../../src/source/core/log-row.js';
import { row } from './fixtures.js';

describe('planWindow', () => {
  const base = { nowMs: 100_000, confidenceMs: 5_000, windowMs: 30_000, genEndMs: null };
  it('reads up to now − confidence when close to it', () => {
    expect(planWindow({ ...base, atMs: 90_000 })).toEqual({ kind: 'read', fromMs: 90_000, toMs: 95_000, probeFirst: false });
  });
  it('caps the window size and asks for a probe when far behind', () => {
    expect(planWindow({ ...base, atMs: 0 })).toEqual({ kind: 'read', fromMs: 0, toMs: 30_000, probeFirst: true });
  });
  it('never crosses the generation end', () => {
    expect(planWindow({ ...base, atMs: 90_000, genEndMs: 92_000 })).toEqual({ kind: 'read', fromMs: 90_000, toMs: 92_000, probeFirst: false });
    expect(planWindow({ ...base, atMs: 92_000, genEndMs: 92_000 })).toEqual({ kind: 'generation-end' });
  });
  it('waits inside the confidence window', () => {
    expect(planWindow({ ...base, atMs: 95_000 })).toEqual({ kind: 'wait', readyAtMs: 100_001 });
  });
  it('generation end in the future (not yet safe) → read only to now − confidence', () => {
    expect(planWindow({ ...base, atMs: 94_000, genEndMs: 99_000 })).toMatchObject({ toMs: 95_000 });
  });
  it('probe jumps to the first row, or over the whole empty range', () => {
    expect(probeLimit({ ...base, atMs: 0 })).toBe(95_000);
    expect(jumpAfterProbe(0, 95_000, 50_123.9)).toBe(50_123);
    expect(jumpAfterProbe(0, 95_000, null)).toBe(95_000);
    expect(jumpAfterProbe(60_000, 95_000, 50_000)).toBe(60_000);
  });
  it('adapts window size and poll delay within bounds', () => {
    expect(adaptWindowMs(30_000, 100_000, 5_000, 30_000)).toBe(15_000);
    expect(adaptWindowMs(1_000, 10, 5_000, 30_000)).toBe(2_000);
    expect(adaptWindowMs(100, 1e9, 5_000, 30_000)).toBe(100);
  });
  it('paces passes: none while behind, every minMs while changes flow, doubling while idle', () => {
    const base = { previousDelayMs: 100, minMs: 100, maxMs: 500 };
    // behind (window capped by its size), or work without a window (switch, snapshot): at once
    expect(nextPassDelayMs({ ...base, worked: true, readableMs: 30_000, sinceRowsMs: 0 })).toBe(0);
    expect(nextPassDelayMs({ ...base, worked: true, readableMs: null, sinceRowsMs: 0 })).toBe(0);
    // caught up with rows: the rest of minMs, so the next window is minMs long
    expect(nextPassDelayMs({ ...base, worked: true, readableMs: 40, sinceRowsMs: 0 })).toBe(60);
    // an empty window while changes flow is not idleness: still minMs, never the idle wait
    expect(nextPassDelayMs({ ...base, previousDelayMs: 60, worked: false, readableMs: 2, sinceRowsMs: 150 })).toBe(98);
    expect(nextPassDelayMs({ ...base, previousDelayMs: 400, worked: false, readableMs: null, sinceRowsMs: 900 })).toBe(100);
    // idle: doubling up to maxMs
    expect(nextPassDelayMs({ ...base, previousDelayMs: 100, worked: false, readableMs: 0, sinceRowsMs: 5_000 })).toBe(200);
    expect(nextPassDelayMs({ ...base, previousDelayMs: 400, worked: false, readableMs: 0, sinceRowsMs: 5_000 })).toBe(500);
    expect(nextPassDelayMs({ ...base, previousDelayMs: 500, worked: false, readableMs: 0, sinceRowsMs: 5_000 })).toBe(500);
  });
  it('calls a slot idle after a second without rows, and its first rows after that a restart', () => {
    expect(idlePass({ worked: false, sinceRowsMs: 999 })).toBe(false);
    expect(idlePass({ worked: false, sinceRowsMs: 1_000 })).toBe(true);
    expect(idlePass({ worked: true, sinceRowsMs: 5_000 })).toBe(false);
    expect(rowsAfterIdle({ worked: true, sinceRowsMs: 1_000 })).toBe(true);
    expect(rowsAfterIdle({ worked: true, sinceRowsMs: 999 })).toBe(false);
    expect(rowsAfterIdle({ worked: false, sinceRowsMs: 5_000 })).toBe(false);
  });
  it('spreads the idle wait over ±25 %, the same on average', () => {
    expect(spreadIdleMs(500, 0)).toBe(375);
    expect(spreadIdleMs(500, 0.5)).toBe(500);
    expect(spreadIdleMs(500, 0.999_999)).toBe(625);
  });
});

describe('generation planning', () => {
  const gens = generationIntervals([3_000, 1_000, 2_000, 2_000]);
  it('links sorted generations', () => {
    expect(gens).toEqual([
      { startMs: 1_000, endMs: 2_000 },
      { startMs: 2_000, endMs: 3_000 },
      { startMs: 3_000, endMs: null },
    ]);
    expect(generationAt(gens, 2_500)?.startMs).toBe(2_000);
    expect(generationAt(gens, 10)?.startMs).toBe(1_000);
  });
  it('switches only after reading to the end', () => {
    expect(nextPositionStep(gens, 1_000, 1_999, 5_000, 0)).toEqual({ kind: 'stay' });
    expect(nextPositionStep(gens, 1_000, 2_000, 5_000, 0)).toEqual({ kind: 'switch', toGenMs: 2_000, atMs: 2_000, reason: 'finished' });
    expect(nextPositionStep(gens, 3_000, 9_999, 10_000, 0)).toEqual({ kind: 'stay' });
  });
  it('skips generations whose data expired with the log TTL', () => {
    // ttl 1 s, now 3.5 s: generation [1000,2000) ended 1.5 s ago → expired
    expect(isExpired(gens[0]!, 3_500, 1)).toBe(true);
    expect(isExpired(gens[2]!, 1e12, 1)).toBe(false);
    expect(nextPositionStep(gens, 1_000, 1_000, 3_500, 1)).toMatchObject({ kind: 'switch', reason: 'expired', toGenMs: 2_000 });
    expect(oldestLivePosition(gens, 3_500, 1)).toBe(2_500);
    expect(oldestLivePosition(gens, 3_500, 0)).toBe(1_000);
  });
  it('assigns units round-robin to slots and derives their token ranges (with wrap-around)', () => {
    const u = (end: bigint) => ({ rangeEnd: end, streams: [] });
    const units = [u(-100n), u(0n), u(100n)];
    expect(unitsForSlot(units, 1, 2).map((x) => x.rangeEnd)).toEqual([0n]);
    expect(tokenRangesForSlot(units, 0, 2)).toEqual([
      { startExclusive: 100n, endInclusive: 2n ** 63n - 1n },
      { startExclusive: -(2n ** 63n), endInclusive: -100n },
      { startExclusive: 0n, endInclusive: 100n },
    ]);
    expect(tokenRangesForSlot(units, 1, 2)).toEqual([{ startExclusive: -100n, endInclusive: 0n }]);
  });
});

describe('resume filter', () => {
  const A = '04afc00a-833b-11ee-8a7b-24e4fb3f20b9'; // µs ...001
  const A2 = '04afc00a-833b-11ee-0000-000000000001'; // same µs, other id
  const B = '04afc014-833b-11ee-8a7b-24e4fb3f20b9'; // 1 µs later
  it('skips through the named change, keeps later ones', () => {
    const keep = createResumeFilter({ lastTime: A });
    const rows = [row(1, 0, {}, { time: A2 }), row(1, 0, {}, { time: A }), row(1, 1, {}, { time: A }), row(1, 0, {}, { time: B })];
    // A2 comes first in server order → already emitted before A
    expect(rows.map(keep)).toEqual([false, false, false, true]);
  });
  it('keeps same-µs changes that come after the named one', () => {
    const keep = createResumeFilter({ lastTime: A });
    expect([row(1, 0, {}, { time: A }), row(1, 0, {}, { time: A2 })].map(keep)).toEqual([false, true]);
  });
  it('no resume point keeps everything', () => {
    expect(createResumeFilter(undefined)(row(1, 0, {}))).toBe(true);
  });
});

describe('murmur2 (Kafka test vectors)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('%s', (s, h) => {
    expect(murmur2(enc(s))).toBe(h);
  });
  it('partitionFor is non-negative and stable', () => {
    expect(partitionFor(enc('21'), 6)).toBe((-973932308 & 0x7fffffff) % 6);
  });
});

describe('stream ids and checkpoints', () => {
  it('token is the first 8 bytes big-endian signed; vnode index from the low qword', () => {
    const id = Buffer.from('8000000000000001' + '00000000000003f1', 'hex');
    expect(streamToken(id)).toBe(-(2n ** 63n) + 1n);
    expect(streamVnodeIndex(id)).toBe(0x3f);
    expect(streamVnodeIndex(Buffer.from('00', 'hex'))).toBe(-1);
  });
  it('round-trips and rejects garbage', () => {
    const c: SlotCheckpoint = { v: 1, table: 'ks.t', slot: 3, slots: 16, genMs: 1, atMs: 2, toMs: 3, partial: { ab: '*' }, snapshot: null, writtenAtMs: 9 };
    expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(c);
    expect(checkpointKey('ks.t', 3)).toBe('ks.t#3');
    expect(decodeCheckpoint(null)).toBeUndefined();
    expect(() => decodeCheckpoint('{"v":2}')).toThrow(/unreadable/);
  });
});
