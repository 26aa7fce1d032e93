import { describe, expect, it } from 'vitest';
import { PartitionGate } from '../../../../src/sink/core/partition-gate.js';
import { tpKey } from '../../../../src/sink/core/offset-tracker.js';

const tp = tpKey('cdc.scylla.users', 3);

describe('PartitionGate', () => {
  it('pauses on the first reason only and resumes on the last one only', () => {
    const g = new PartitionGate();
    expect(g.add(tp, 'operator')).toBe(true); // the consumer must pause now
    expect(g.add(tp, 'memory')).toBe(false); // already paused
    expect(g.remove(tp, 'memory')).toBe(false); // the memory bound frees room: the operator's pause holds
    expect(g.has(tp, 'operator')).toBe(true);
    expect(g.remove(tp, 'operator')).toBe(true); // resume now
    expect(g.has(tp)).toBe(false);
  });

  it("the operator's resume never releases the memory bound or a held partition", () => {
    const g = new PartitionGate();
    g.add(tp, 'memory');
    g.add(tp, 'held');
    expect(g.add(tp, 'operator')).toBe(false);
    expect(g.remove(tp, 'operator')).toBe(false);
    expect(g.remove(tp, 'memory')).toBe(false);
    expect(g.has(tp, 'held')).toBe(true);
    expect(g.remove(tp, 'held')).toBe(true);
  });

  it('removing a reason that was never given is a no-op (no stray resume)', () => {
    const g = new PartitionGate();
    expect(g.remove(tp, 'memory')).toBe(false);
    g.add(tp, 'operator');
    expect(g.remove(tp, 'memory')).toBe(false);
    expect(g.has(tp, 'operator')).toBe(true);
  });

  it('lists the partitions of a reason, and forgets everything on clear (a new kafkajs consumer)', () => {
    const g = new PartitionGate();
    const other = tpKey('cdc.scylla.orders', 0);
    g.add(tp, 'operator');
    g.add(other, 'memory');
    expect(g.with('operator')).toEqual([tp]);
    expect(g.with('memory')).toEqual([other]);
    expect(g.all()).toEqual([tp, other]);
    g.clear();
    expect(g.has(tp)).toBe(false);
    expect(g.add(tp, 'operator')).toBe(true);
  });
});
