/**
 * A log page carries its size on the wire, as the driver reported it to the client's request
 * tracker for that very request, and the reader remembers the largest full page per table: what a
 * query reserves in SOURCE_MAX_INFLIGHT_BYTES before the first page of its next window.
 */
import type cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { LogReader } from '../../../src/source/log-reader.js';
import { ResponseBytes } from '../../../src/source/response-bytes.js';
import { T2 } from './core/fixtures.js';

/** A driver stand-in answering pages of `rows[i]` rows of `bytes[i]` bytes, reporting each size to its tracker as the driver does. */
function client(rows: number[], bytes: number[]): cassandra.Client {
  const tracker = new ResponseBytes();
  let i = 0;
  const execute = (_q: string, _p: unknown[], o: cassandra.QueryOptions) => {
    const n = i++;
    const execOptions = { getRawQueryOptions: () => o } as unknown as cassandra.ExecutionOptions;
    tracker.onSuccess({} as cassandra.Host, '', [], execOptions, 0, bytes[n]!);
    const row = { cdc$stream_id: Buffer.alloc(16), cdc$time: '00000000-0000-1000-8000-000000000000' };
    return Promise.resolve({ rows: new Array(rows[n]).fill(row), columns: [], pageState: n + 1 < rows.length ? `p${n + 1}` : null });
  };
  return { execute, options: { requestTracker: tracker } } as unknown as cassandra.Client;
}

describe('LogReader page sizes', () => {
  it('gives each page the size the driver reported for its request; expects the largest full page next', async () => {
    const reader = new LogReader(client([2, 2, 1], [300, 500, 90]), 2);
    expect(reader.expectedPageBytes(T2)).toBe(0);
    const sizes: number[] = [];
    for await (const page of reader.readWindow(T2, [Buffer.alloc(16)], 0, 1000)) sizes.push(page.bytes);
    expect(sizes).toEqual([300, 500, 90]);
    expect(reader.expectedPageBytes(T2)).toBe(500); // the short last page does not count
  });
});
