import { describe, expect, it } from 'vitest';
import type { SlotCheckpoint } from '../../../../src/source/core/checkpoint.js';
import type { Generation } from '../../../../src/source/core/generation-plan.js';
import { planAfterProbe, planStream, type StreamPlanInput } from '../../../../src/source/core/stream-plan.js';

const unit = (end: bigint) => ({ rangeEnd: end, streams: [Buffer.from([Number(end & 0xffn)])] });
// generation 0 ends at 100 s; generation 100 s is open. Two units each.
const gens: Generation[] = [
  { startMs: 0, endMs: 100_000, units: [unit(-10n), unit(10n)] },
  { startMs: 100_000, endMs: null, units: [unit(-20n), unit(20n)] },
];
const st: SlotCheckpoint = { v: 1, table: 'ks.t', slot: 0, slots: 2, genMs: 100_000, atMs: 150_000, toMs: null, partial: {}, snapshot: null, writtenAtMs: 0 };
const base: StreamPlanInput = { st, gens, nowMs: 200_000, ttlSeconds: 86_400, slot: 0, slots: 2, confidenceMs: 5_000, windowMs: 30_000 };

describe('planStream', () => {
  it("reads the next window of the slot's units", () => {
    expect(planStream({ ...base, st: { ...st, atMs: 190_000 } })).toEqual({ kind: 'read', units: [gens[1]!.units[0]], fromMs: 190_000, toMs: 195_000 });
  });
  it('probes first when more than a window behind', () => {
    const p = planStream(base);
    expect(p).toMatchObject({ kind: 'probe', units: [gens[1]!.units[0]], limitMs: 195_000 });
  });
  it('waits inside the confidence window', () => {
    expect(planStream({ ...base, st: { ...st, atMs: 196_000 } })).toEqual({ kind: 'wait' });
  });
  it('follows time when the slot owns no unit', () => {
    expect(planStream({ ...base, slot: 2, slots: 3 })).toEqual({ kind: 'follow', atMs: 195_000 });
  });
  it('switches at the end of a finished generation, with an empty partial', () => {
    const p = planStream({ ...base, st: { ...st, genMs: 0, atMs: 100_000 } });
    expect(p).toEqual({ kind: 'switch', toGenMs: 100_000, reason: 'finished', next: { ...st, genMs: 100_000, atMs: 100_000, toMs: null, partial: {} } });
  });
  it('finishes a window in progress before switching, and resumes it as it was', () => {
    const inProgress = { ...st, genMs: 0, atMs: 100_000, toMs: 100_000, partial: { ab: '*' } };
    expect(planStream({ ...base, st: { ...inProgress, atMs: 90_000 } })).toEqual({ kind: 'read', units: [gens[0]!.units[0]], fromMs: 90_000, toMs: 100_000 });
  });
  it('does nothing for a generation it does not know', () => {
    // (a window in progress is finished before any switch, so its generation must be there)
    expect(planStream({ ...base, gens: [gens[0]!], st: { ...st, toMs: 160_000 } })).toEqual({ kind: 'unknown-generation' });
  });
});

describe('planAfterProbe', () => {
  const input = { atMs: 0, nowMs: 200_000, confidenceMs: 5_000, windowMs: 30_000, genEndMs: null };
  it('jumps to the earliest first row and reads a window from there', () => {
    expect(planAfterProbe(input, 195_000, [null, 120_000.7, 150_000])).toEqual({ jumpedTo: 120_000, plan: { kind: 'read', fromMs: 120_000, toMs: 150_000 } });
  });
  it('jumps over a wholly empty history to the limit, where it waits', () => {
    expect(planAfterProbe(input, 195_000, [null, null])).toEqual({ jumpedTo: 195_000, plan: { kind: 'wait' } });
  });
  it('reads from where it is when the first row is there', () => {
    expect(planAfterProbe(input, 195_000, [0])).toEqual({ jumpedTo: null, plan: { kind: 'read', fromMs: 0, toMs: 30_000 } });
  });
});
