/**
 * Where a table without a checkpoint starts. With a snapshot, streaming starts `confidence` before
 * now and the snapshot rows are stamped at that same time: a write of the last `confidence` that
 * the snapshot read could not see yet is streamed later with a time >= the stamp, so it wins the
 * sink's version guard (ties go to the later change) instead of being refused as older.
 */
import { describe, expect, it } from 'vitest';
import { initialCheckpoint, type InitialCheckpointInput } from '../../../../src/source/core/initial-checkpoint.js';

const NOW = 1_700_000_000_000;
const gens = [
  {
    startMs: NOW - 3_600_000,
    endMs: null,
    units: [
      { rangeEnd: 0n, streams: [Uint8Array.of(1)] },
      { rangeEnd: 100n, streams: [Uint8Array.of(2)] },
    ],
  },
];
const input = (over: Partial<InitialCheckpointInput>): InitialCheckpointInput => ({
  table: 'ks.t',
  slot: 0,
  slots: 1,
  gens,
  nowMs: NOW,
  ttlSeconds: 86_400,
  snapshotMode: 'initial',
  cdcStart: 'earliest',
  confidenceMs: 5_000,
  ...over,
});

describe('initialCheckpoint', () => {
  it('with a snapshot: streams from now - confidence and stamps the snapshot rows at that time', () => {
    const cp = initialCheckpoint(input({}));
    expect(cp.atMs).toBe(NOW - 5_000);
    expect(cp.snapshot).toMatchObject({ startMs: NOW, tsMs: NOW - 5_000, rangePos: 0, done: false });
    expect(cp.snapshot!.ranges.length).toBeGreaterThan(0);
  });

  it('without a snapshot: streams from CDC_START and has none', () => {
    const cp = initialCheckpoint(input({ snapshotMode: 'never', cdcStart: 'now' }));
    expect(cp.atMs).toBe(NOW);
    expect(cp.snapshot).toBeNull();
  });
});
