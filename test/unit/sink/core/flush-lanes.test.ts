import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../../src/sink/core/batcher.js';
import { packChange, type PackedChange } from '../../../../src/sink/core/packed-change.js';
import { assignLanes, conflicts, idleLane, lanePartitions, nextRunnable, type LaneSlot } from '../../../../src/sink/core/flush-lanes.js';
import { OffsetTracker, tpKey } from '../../../../src/sink/core/offset-tracker.js';
import type { ApplyKind } from '../../../../src/sink/core/types.js';

const slot = (table: string, lane: number, topic = `cdc.${table}`, alone = false): LaneSlot => ({ topic, table, lane, alone });

const change = (partition: number, offset: number, kind: ApplyKind = 'upsert'): PackedChange => ({
  ...packChange(
    { ref: { topic: 't', partition, offset: String(offset) }, kind, op: kind === 'upsert' ? 'u' : 'd', key: ['k'], cells: {}, tsUs: '1', seq: 0, bytes: 1 },
    { key: 1, value: 2 },
  ),
  table: 'users',
});

describe('assignLanes', () => {
  it('deals each topic’s partitions round-robin in (topic, partition) order, whatever order they were assigned in', () => {
    const lanes = assignLanes(
      [
        { topic: 'b', partition: 0 },
        { topic: 'a', partition: 6 },
        { topic: 'a', partition: 2 },
        { topic: 'a', partition: 4 },
        { topic: 'a', partition: 0 },
      ],
      2,
    );
    expect([...lanes].sort()).toEqual(
      [
        [tpKey('a', 0), 0],
        [tpKey('a', 2), 1],
        [tpKey('a', 4), 0],
        [tpKey('a', 6), 1],
        [tpKey('b', 0), 0],
      ].sort(),
    );
  });
  it('one lane holds everything (SINK_FLUSH_CONCURRENCY=1)', () => {
    const lanes = assignLanes(
      [0, 1, 2, 3].map((partition) => ({ topic: 't', partition })),
      1,
    );
    expect(new Set(lanes.values())).toEqual(new Set([0]));
  });
  it('three lanes over 8 partitions: 3, 3 and 2 each', () => {
    const lanes = assignLanes(
      [0, 1, 2, 3, 4, 5, 6, 7].map((partition) => ({ topic: 't', partition })),
      3,
    );
    const counts = [0, 0, 0];
    for (const l of lanes.values()) counts[l]!++;
    expect(counts).toEqual([3, 3, 2]);
  });
});

describe('conflicts', () => {
  it('one lane is one queue, whatever the tables', () => {
    expect(conflicts(slot('a', 0), slot('b', 0))).toBe(true);
  });
  it('other tables in other lanes run together', () => {
    expect(conflicts(slot('a', 0), slot('b', 1))).toBe(false);
  });
  it('lanes of one topic’s table run together', () => {
    expect(conflicts(slot('a', 0), slot('a', 1))).toBe(false);
  });
  it('two topics onto one table never run together (their partitions say nothing about each other’s keys)', () => {
    expect(conflicts(slot('a', 0, 'x.a'), slot('a', 1, 'y.a'))).toBe(true);
  });
  it('a batch that must be alone keeps its table’s other lanes out, either way round', () => {
    expect(conflicts(slot('a', 0, 'x', true), slot('a', 1, 'x'))).toBe(true);
    expect(conflicts(slot('a', 0, 'x'), slot('a', 1, 'x', true))).toBe(true);
    expect(conflicts(slot('a', 0, 'x', true), slot('b', 1, 'y'))).toBe(false);
  });
});

describe('nextRunnable', () => {
  it('starts nothing past the limit', () => {
    expect(nextRunnable([slot('b', 1)], [slot('a', 0)], 1)).toBe(-1);
    expect(nextRunnable([slot('b', 1)], [slot('a', 0)], 2)).toBe(0);
  });
  it('skips a batch of a busy lane and keeps its lane-mates behind it (order within a lane)', () => {
    const ready = [slot('a', 0), slot('b', 0), slot('c', 1)];
    expect(nextRunnable(ready, [slot('z', 0)], 3)).toBe(2);
  });
  it('a batch conflicting with an older waiting one waits too', () => {
    // 'a' of topic y waits for 'a' of topic x; 'b' in the same lane as that waiting batch must not overtake it.
    expect(nextRunnable([slot('a', 1, 'y'), slot('b', 1)], [slot('a', 0, 'x')], 4)).toBe(-1);
    expect(nextRunnable([slot('a', 1, 'y'), slot('b', 2)], [slot('a', 0, 'x')], 4)).toBe(1);
  });
  it('an alone batch of a table waits for the table’s other lanes, and they wait for it', () => {
    expect(nextRunnable([slot('a', 1, 'x', true)], [slot('a', 0, 'x')], 4)).toBe(-1);
    expect(nextRunnable([slot('a', 1, 'x'), slot('a', 2, 'x')], [slot('a', 0, 'x', true)], 4)).toBe(-1);
  });
  it('with one lane, takes the ready queue in order', () => {
    expect(nextRunnable([slot('b', 0), slot('a', 0)], [], 1)).toBe(0);
  });
});

describe('idleLane: open batches closed before their age', () => {
  it('closes a batch whose lane has nothing running or waiting, and keeps the others filling', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 60_000 });
    b.add(change(0, 1), 0, 0); // lane 0: a batch of it is running
    b.add(change(1, 1), 0, 1); // lane 1: idle
    b.add(change(2, 1), 0, 2); // lane 2: one of its batches waits in the ready queue
    const closed = b.closeWhere(idleLane([slot('users', 0, 't')].concat([slot('users', 2, 't')])));
    expect(closed.map((x) => x.lane)).toEqual([1]);
    expect(b.openCount).toBe(2);
  });
  it('an alone batch running keeps every lane of its table filling', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 60_000 });
    b.add(change(1, 1), 0, 1);
    expect(b.closeWhere(idleLane([slot('users', 0, 't', true)]))).toHaveLength(0);
  });
  it('closes one batch per idle lane at a time (a second table of the lane keeps filling)', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 60_000 });
    b.add(change(1, 1), 0, 1);
    b.add({ ...change(1, 2), table: 'orders' }, 0, 1);
    expect(b.closeWhere(idleLane([])).map((x) => x.table)).toEqual(['users']);
  });
});

describe('a lane’s offsets', () => {
  it('a batch commit carries only its lane’s partitions, each up to its first record pending elsewhere', () => {
    const lanes = assignLanes(
      [0, 1, 2, 3].map((partition) => ({ topic: 't', partition })),
      2,
    );
    const t = new OffsetTracker();
    const b = new Batcher({ maxSize: 100, maxWaitMs: 1000 });
    for (let p = 0; p < 4; p++) t.assign(tpKey('t', p), 0n);
    const ids = new Map<number, number>();
    for (let p = 0; p < 4; p++) {
      for (let o = 0; o < 5; o++) ids.set(p, b.add(change(p, o), 0, lanes.get(tpKey('t', p))!).batchId);
      t.hold(ids.get(p)!, tpKey('t', p), 0n);
      t.route(tpKey('t', p), 5n);
    }
    // Two batches: partitions 0 and 2 (lane 0), 1 and 3 (lane 1).
    expect(ids.get(0)).toBe(ids.get(2));
    expect(ids.get(1)).toBe(ids.get(3));
    expect(ids.get(0)).not.toBe(ids.get(1));
    const plan = t.plan([ids.get(0)!], lanePartitions(lanes, new Set([0])));
    expect([...plan].sort()).toEqual([
      [tpKey('t', 0), 5n],
      [tpKey('t', 2), 5n],
    ]);
    // Lane 1 not committing: nothing of it may move, even unfiltered.
    expect(t.plan([ids.get(0)!]).get(tpKey('t', 1))).toBeUndefined();
  });
  it('a partition never dealt counts as lane 0', () => {
    const only = lanePartitions(new Map(), new Set([0]));
    expect(only(tpKey('t', 9))).toBe(true);
    expect(lanePartitions(new Map(), new Set([1]))(tpKey('t', 9))).toBe(false);
  });
});

describe('batcher and lanes', () => {
  it('cuts batches per lane and marks partition-wide changes alone', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 1000 });
    b.add(change(0, 0), 0, 0);
    b.add(change(1, 0), 0, 1);
    b.add(change(1, 1, 'partition_delete'), 0, 1);
    b.add(change(2, 0, 'range_delete'), 0, 2);
    b.add(change(3, 0, 'static_row'), 0, 3);
    b.add(change(4, 0, 'delete'), 0, 4);
    expect(b.drain().map((x) => [x.lane, x.changes.length, x.alone, x.topic])).toEqual([
      [0, 1, false, 't'],
      [1, 2, true, 't'],
      [2, 1, true, 't'],
      [3, 1, true, 't'],
      [4, 1, false, 't'],
    ]);
  });
});
