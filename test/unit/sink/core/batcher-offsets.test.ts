import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../../src/sink/core/batcher.js';
import { packChange, type PackedChange } from '../../../../src/sink/core/packed-change.js';
import { OffsetTracker, tpKey } from '../../../../src/sink/core/offset-tracker.js';

const c = (table: string, schemaIds = { key: 1, value: 2 }, offset = '0'): PackedChange => ({
  ...packChange({ ref: { topic: 't', partition: 0, offset }, kind: 'upsert', op: 'u', key: ['k'], cells: {}, tsUs: '1', seq: 0, bytes: 1 }, schemaIds),
  table,
});

describe('batcher flush rules', () => {
  it('size: flushes at SINK_BATCH_SIZE', () => {
    const b = new Batcher({ maxSize: 2, maxWaitMs: 1000 });
    expect(b.add(c('a'), 0).ready).toHaveLength(0);
    expect(b.add(c('a'), 0).ready).toEqual([expect.objectContaining({ reason: 'size' })]);
  });
  it('age: a batch is due at SINK_BATCH_MAX_WAIT_MS', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 50 });
    b.add(c('a'), 0);
    expect(b.due(49)).toHaveLength(0);
    expect(b.nextDueIn(10)).toBe(40);
    expect(b.due(50)).toHaveLength(1);
  });
  it('schema change: a new schema id flushes the open batch first', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 1000 });
    b.add(c('a', { key: 1, value: 2 }), 0);
    const r = b.add(c('a', { key: 1, value: 3 }), 0);
    expect(r.ready).toEqual([expect.objectContaining({ reason: 'schema' })]);
    expect(b.drain()[0]!.schemaIds).toEqual({ key: 1, value: 3 });
  });
  it('tables batch separately', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 1000 });
    b.add(c('a'), 0);
    b.add(c('b'), 0);
    expect(b.openCount).toBe(2);
  });
  it('topics batch separately, even onto one table (SINK_TABLE_MAP {topic} and {keyspace} hold per batch)', () => {
    const b = new Batcher({ maxSize: 100, maxWaitMs: 1000 });
    b.add(c('a'), 0);
    b.add({ ...c('a'), ref: { topic: 'u', partition: 0, offset: '1' } }, 0);
    b.add(c('a'), 0);
    expect(b.drain().map((x) => [x.changes[0]!.ref.topic, x.changes.length])).toEqual([
      ['t', 2],
      ['u', 1],
    ]);
  });
});

describe('offset tracker', () => {
  it('does not commit past records pending in another table batch', () => {
    const t = new OffsetTracker();
    const tp = tpKey('t', 0);
    t.assign(tp, 10n);
    t.hold(1, tp, 10n);
    t.hold(2, tp, 11n);
    t.hold(1, tp, 12n);
    t.route(tp, 13n);
    expect(t.plan([2]).get(tp)).toBeUndefined(); // batch 1 still holds offset 10
    expect(t.plan([1]).get(tp)).toBe(11n);
    expect(t.plan([1, 2]).get(tp)).toBe(13n);
  });
  it('moves partitions with only dead letters or skipped records', () => {
    const t = new OffsetTracker();
    const tp = tpKey('t', 1);
    t.assign(tp, 0n);
    t.route(tp, 5n);
    const plan = t.plan([]);
    expect(plan.get(tp)).toBe(5n);
    t.markCommitted(plan);
    expect(t.plan([]).size).toBe(0);
  });
});
