import { describe, expect, it } from 'vitest';
import { pgName, tombstoneTable } from '../../../../src/core/sql-ident.js';
import { packChange, type ClaimedChange } from '../../../../src/sink/core/packed-change.js';
import { routeByTopic, topicTarget } from '../../../../src/sink/core/topic-target.js';

const change = (topic: string, keyspace: string, table: string, offset = '0'): ClaimedChange => ({
  ...packChange({ ref: { topic, partition: 0, offset }, kind: 'upsert', op: 'c', key: ['1'], cells: {}, tsUs: '1', seq: 0, bytes: 1 }, { key: 1, value: 2 }),
  claimed: { keyspace, table },
});

describe('the topic decides the target table', () => {
  it('reads {table} and {keyspace} from the template; falls back to the last segment', () => {
    expect(topicTarget('cdc.scylla.users', 'cdc.scylla.{table}')).toEqual({ table: 'users' });
    expect(topicTarget('p.ks1.users', 'p.{keyspace}.{table}')).toEqual({ keyspace: 'ks1', table: 'users' });
    expect(topicTarget('legacy.ks.orders', 'cdc.scylla.{table}')).toEqual({ table: 'orders' });
  });

  it('dead-letters records whose claim disagrees, and any record for a _cdc_ table', () => {
    const out = routeByTopic(
      {
        changes: [
          change('cdc.scylla.users', 'ks', 'users', '1'),
          change('cdc.scylla.users', 'ks', '_cdc_offsets', '2'),
          change('cdc.scylla._cdc_offsets', 'ks', '_cdc_offsets', '3'),
          change('p.ks1.users', 'ks2', 'users', '4'),
          change('cdc.scylla.users', '', '', '5'),
        ],
        failed: [],
        skipped: 0,
      },
      'cdc.scylla.{table}',
    );
    expect(out.changes.map((c) => [c.ref.offset, c.table])).toEqual([
      ['1', 'users'],
      ['4', 'users'],
      ['5', 'users'],
    ]);
    expect(out.changes[0]).not.toHaveProperty('claimed'); // checked, then not held until the commit
    expect(out.failed.map((f) => [f.ref.offset, f.reason])).toEqual([
      ['2', 'wrong-target'],
      ['3', 'wrong-target'],
    ]);
    expect(out.failed[0]!.message).toMatch(/names table "_cdc_offsets" but topic cdc.scylla.users maps to table "users"/);
    const ks = routeByTopic({ changes: [change('p.ks1.users', 'ks2', 'users')], failed: [], skipped: 0 }, 'p.{keyspace}.{table}');
    expect(ks.failed[0]!.message).toMatch(/keyspace "ks2"/);
  });
});

describe('identifiers over 63 bytes', () => {
  it('are shortened deterministically to prefix + hash, distinct for distinct names', () => {
    const a = `${'a'.repeat(60)}_one`;
    const b = `${'a'.repeat(60)}_two`;
    expect(pgName('short')).toBe('short');
    expect(pgName(a)).toBe(pgName(a));
    expect(pgName(a)).not.toBe(pgName(b));
    for (const n of [a, b, 'é'.repeat(40)]) expect(Buffer.byteLength(pgName(n))).toBeLessThanOrEqual(63);
    expect(pgName('é'.repeat(40))).toMatch(/^é+_[0-9a-f]{8}$/);
    // tombstone tables of two long tables sharing a 47-byte prefix do not collide
    expect(tombstoneTable(pgName(a))).not.toBe(tombstoneTable(pgName(b)));
  });
});
