import { describe, expect, it } from 'vitest';
import type { SlotCheckpoint } from '../../../../src/source/core/checkpoint.js';
import { notStreamingReasons, tableReadiness, unconfiguredTables } from '../../../../src/source/core/slot-readiness.js';

function ckpt(table: string, snapshot: SlotCheckpoint['snapshot'] = null): SlotCheckpoint {
  return { v: 1, table, slot: 0, slots: 4, genMs: 0, atMs: 1, toMs: null, partial: {}, snapshot, writtenAtMs: 0 };
}

describe('slot readiness', () => {
  const state = new Map([
    ['ks.a', ckpt('ks.a')],
    [
      'ks.b',
      ckpt('ks.b', {
        startMs: 5,
        ranges: [
          ['0', '1'],
          ['1', '2'],
        ],
        rangePos: 1,
        afterToken: null,
        done: false,
      }),
    ],
    ['old.a', ckpt('old.a')],
  ]);

  it('says per table whether it streams, and why not', () => {
    expect(tableReadiness({ kind: 'running' }, ['ks.a', 'ks.b', 'ks.c'], state, 10_000)).toEqual([
      { table: 'ks.a', streaming: true },
      { table: 'ks.b', streaming: false, reason: 'initial snapshot in progress (range 2 of 2)' },
      { table: 'ks.c', streaming: false, reason: 'no position yet (waiting for the CDC generation)' },
    ]);
    const opening = tableReadiness({ kind: 'opening', sinceMs: 1_000 }, ['ks.a'], state, 13_000);
    expect(opening[0]).toMatchObject({ streaming: false, reason: expect.stringMatching(/^opening the slot for 12 s: fencing/) as unknown });
    const retrying = tableReadiness({ kind: 'retrying', error: 'broker down', sinceMs: 0 }, ['ks.a'], state, 3_000);
    expect(retrying[0]!.reason).toBe('failing for 3 s, retrying from the last committed checkpoint: broker down');
    const stalled = tableReadiness({ kind: 'stalled', sinceMs: 0 }, ['ks.a'], state, 45_000);
    expect(stalled[0]).toEqual({ table: 'ks.a', streaming: false, reason: 'no progress for 45 s: a call to Kafka or ScyllaDB has not returned' });
  });

  it('lists checkpoints of tables that are not configured', () => {
    expect(unconfiguredTables(state, ['ks.a', 'ks.b'])).toEqual(['old.a']);
    expect(unconfiguredTables(state, ['ks.a', 'ks.b', 'old.a'])).toEqual([]);
  });

  it('explains a process that is not streaming yet', () => {
    const base = { started: true, startupProblem: undefined, sessionTimeoutMs: 10_000, workers: new Map() };
    expect(notStreamingReasons({ ...base, started: false, startupProblem: 'kafka: connection refused', assigned: undefined })).toEqual(['starting: kafka: connection refused']);
    expect(notStreamingReasons({ ...base, started: false, startupProblem: 'starting', assigned: undefined })).toEqual([
      'starting: connecting to ScyllaDB, Kafka and the schema registry',
    ]);
    expect(notStreamingReasons({ ...base, assigned: undefined })[0]).toMatch(/waiting for the slot group .*SOURCE_GROUP_SESSION_TIMEOUT_MS=10000/);
    const streams = { readiness: () => [{ table: 'ks.a', streaming: true }] };
    const snapshots = { readiness: () => [{ table: 'ks.a', streaming: false, reason: 'initial snapshot in progress (range 1 of 3)' }] };
    expect(
      notStreamingReasons({
        ...base,
        assigned: [0, 1, 2],
        workers: new Map([
          [0, streams],
          [1, snapshots],
        ]),
      }),
    ).toEqual(['slot 1 ks.a: initial snapshot in progress (range 1 of 3)', 'slot 2: assigned, worker not started yet']);
    expect(notStreamingReasons({ ...base, assigned: [0], workers: new Map([[0, streams]]) })).toEqual([]);
    // a process that holds no slot (more processes than slots) has nothing to wait for
    expect(notStreamingReasons({ ...base, assigned: [] })).toEqual([]);
  });
});
