/** `dlq --filter` parsing, then every term and `--topic` over dead letters as the sink writes them (headers from dlqHeaders). */
import { describe, expect, it } from 'vitest';
import { dlqHeaders } from '../../../src/sink/core/dlq-headers.js';
import type { RecordFailure } from '../../../src/sink/core/types.js';
import { matches, parseFilter, toDlqEntry, type DlqEntry } from '../../../src/tools/dlq-entry.js';

const letters: (Pick<RecordFailure, 'reason' | 'stage' | 'message'> & { name: string; topic: string; partition: number; offset: string; shownKey: string })[] = [
  { name: 'a', topic: 'cdc.a', partition: 0, offset: '3', reason: 'bad-magic-byte', stage: 'VALUE_CONVERTER', message: 'no magic byte', shownKey: '0x616c706861' },
  { name: 'b', topic: 'cdc.a', partition: 2, offset: '15', reason: 'unknown-schema', stage: 'KEY_CONVERTER', message: 'schema 99 not found', shownKey: '{"id":7}' },
  { name: 'c', topic: 'cdc.b', partition: 1, offset: '8', reason: 'constraint-violation', stage: 'TASK_PUT', message: 'null value in column "v"', shownKey: '{"id":42}' },
  { name: 'd', topic: 'cdc.b', partition: 10, offset: '100', reason: 'constraint-violation', stage: 'TASK_PUT', message: 'value too long', shownKey: '(null)' },
];

const entries: { name: string; entry: DlqEntry; shownKey: string }[] = letters.map((l, i) => ({
  name: l.name,
  shownKey: l.shownKey,
  entry: toDlqEntry({
    partition: 0,
    offset: String(i),
    timestamp: '0',
    key: null,
    value: Buffer.from(l.name),
    headers: dlqHeaders(
      { ref: { topic: l.topic, partition: l.partition, offset: l.offset }, reason: l.reason, stage: l.stage, errorClass: 'Error', message: l.message },
      'test',
      0,
    ),
  }),
}));

const select = (terms: string[], topic: string[] = []) => entries.filter((e) => matches(e.entry, e.shownKey, { topic, terms: parseFilter(terms) })).map((e) => e.name);

describe('dlq --filter parsing', () => {
  it('parses every field and operator', () => {
    expect(parseFilter(['reason=undecodable', 'offset>=10', 'offset<=20', 'key~abc', 'message~boom', 'partition=3', 'stage=TASK_PUT'])).toEqual([
      { field: 'reason', op: '=', value: 'undecodable' },
      { field: 'offset', op: '>=', value: '10' },
      { field: 'offset', op: '<=', value: '20' },
      { field: 'key', op: '~', value: 'abc' },
      { field: 'message', op: '~', value: 'boom' },
      { field: 'partition', op: '=', value: '3' },
      { field: 'stage', op: '=', value: 'TASK_PUT' },
    ]);
  });

  it.each([
    ['colour=red', 'unknown field or operator'],
    ['reason>=x', 'applies to partition and offset only'],
    ['offset>=ten', 'offset takes a non-negative integer'],
    ['partition=-1', 'partition takes a non-negative integer'],
    ['key~', 'empty value'],
  ])('refuses %s with exit code 2 (%s)', (term, why) => {
    let err: (Error & { exitCode?: number }) | undefined;
    try {
      parseFilter([term]);
    } catch (e) {
      err = e as Error & { exitCode?: number };
    }
    expect(err?.message).toContain(why);
    expect(err?.exitCode).toBe(2);
  });
});

describe('dlq filters', () => {
  it.each([
    [['reason=constraint-violation'], ['c', 'd']],
    [['reason=constraint'], []], // = is whole-value
    [['stage=KEY_CONVERTER'], ['b']],
    [['partition=1'], ['c']],
    [['partition=10'], ['d']], // not a prefix match on "1"
    [['offset>=15'], ['b', 'd']], // numeric, not text: "100" >= "15"
    [['offset<=8'], ['a', 'c']],
    [
      ['offset>=8', 'offset<=15'],
      ['b', 'c'],
    ], // terms are ANDed; both bounds inclusive
    [['offset>=16'], ['d']],
    [['key~"id":4'], ['c']],
    [['key~0x616c'], ['a']],
    [['message~not found'], ['b']],
    [['message~value', 'partition=1'], ['c']],
    [['message='], []],
  ])('%j selects %j', (terms, expected) => {
    expect(select(terms)).toEqual(expected);
  });

  it('--topic selects by original topic, any of several, and combines with the terms', () => {
    expect(select([], ['cdc.b'])).toEqual(['c', 'd']);
    expect(select([], ['cdc.a', 'cdc.b'])).toEqual(['a', 'b', 'c', 'd']);
    expect(select(['stage=TASK_PUT'], ['cdc.a'])).toEqual([]);
    expect(select([], ['cdc'])).toEqual([]);
  });

  it('an entry without the header a term asks about is not selected', () => {
    const bare = toDlqEntry({ partition: 0, offset: '0', timestamp: '0', key: null, value: null, headers: {} });
    for (const t of ['reason=x', 'stage=x', 'offset>=0', 'message~x']) expect(matches(bare, '(null)', { terms: parseFilter([t]) }), t).toBe(false);
    expect(bare.time).toBe(new Date(0).toISOString()); // no time header: the record's own timestamp
  });
});
