import { describe, expect, it } from 'vitest';
import { matches, parseFilter, toDlqEntry } from '../../../src/tools/dlq-entry.js';
import { DLQ_HEADER } from '../../../src/sink/core/dlq-headers.js';

describe('dlq --filter terms', () => {
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

  it('matches entries by header fields, the shown key and offset ranges', () => {
    const e = toDlqEntry({
      partition: 0,
      offset: '7',
      timestamp: '0',
      key: null,
      value: null,
      headers: { [DLQ_HEADER.topic]: 'users', [DLQ_HEADER.partition]: '2', [DLQ_HEADER.offset]: '15', [DLQ_HEADER.reason]: 'undecodable', [DLQ_HEADER.message]: 'bad bytes' },
    });
    const f = (terms: string[], topic?: string[]) => matches(e, '{"id":42}', { topic, terms: parseFilter(terms) });
    expect(f(['reason=undecodable', 'offset>=10', 'offset<=15', 'key~42', 'message~bad'])).toBe(true);
    expect(f(['offset>=15', 'offset<=15'])).toBe(true); // bounds are inclusive
    expect(f(['offset>=16'])).toBe(false);
    expect(f(['partition=1'])).toBe(false);
    expect(f([], ['orders'])).toBe(false);
    expect(f(['stage=TASK_PUT'])).toBe(false); // absent header: no match
  });
});
