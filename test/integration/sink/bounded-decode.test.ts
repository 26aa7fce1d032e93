/**
 * The decode time limit on real piscina workers: a job past it loses its worker, its records are
 * retried one by one, one that fails alone too is dead-lettered, and the pool goes on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { BoundedDecoder } from '../../../src/sink/bounded-decode.js';
import type { RawRecord } from '../../../src/sink/core/decode-record.js';
import { DecodePool } from '../../../src/sink/decode-pool.js';
import { avroType, envelope, frame, keyObject, keySchema, valueSchema, type TableSpec } from '../../fixtures/sink/envelope.js';
import { framed, varint } from '../../fixtures/sink/hostile.js';

const spec: TableSpec = { keyspace: 'ks', table: 't', key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] };
const nested = { type: 'record', name: 'Nested', fields: [{ name: 'a', type: { type: 'array', items: { type: 'array', items: 'null' } } }] };
const schemas = { 1: JSON.stringify(keySchema(spec)), 2: JSON.stringify(valueSchema(spec)), 3: JSON.stringify(nested) };
const kt = avroType(keySchema(spec));
const vt = avroType(valueSchema(spec));
const ref = (offset: number) => ({ topic: 'cdc.scylla.t', partition: 0, offset: String(offset) });
const good = (id: number): RawRecord => ({
  ref: ref(id),
  key: frame(1, kt, keyObject(spec, { id })),
  value: frame(2, vt, envelope(spec, { op: 'c', key: { id }, after: { v: { value: `v${id}` } }, tsUs: id })),
});

/** 30 million nulls from 26 KB (every count fits in the bytes left): about 1.5 s of decoding. */
function slow(offset: number): RawRecord {
  const parts = [varint(1500 + 20_000)];
  for (let i = 0; i < 1500; i++) parts.push(varint(20_000), varint(0));
  for (let i = 0; i < 20_000; i++) parts.push(varint(0));
  parts.push(varint(0));
  return { ref: ref(offset), key: good(offset).key, value: framed(3, Buffer.concat(parts)) };
}

const pool = new DecodePool(1, 4096); // heap big enough that only the time limit can stop the job
const log = createLogger('test', 'silent');
// The limit counts from submission and a replaced worker needs a moment to start (longer under tsx),
// so a neighbour retried right after an abort could time out too on a loaded box: neighbours are
// covered by hostile.test.ts (worker heap limit), this covers the time limit and the recovery.
const strict = new BoundedDecoder(pool, { maxRecordBytes: 1 << 20, timeoutMs: 300 }, log);
const lenient = new BoundedDecoder(pool, { maxRecordBytes: 1 << 20, timeoutMs: 60_000 }, log);

describe('bounded decode on real workers', () => {
  afterAll(() => pool.close());

  it('a record whose decoding outlives the time limit twice is dead-lettered; the pool goes on', async () => {
    expect((await lenient.run([good(1)], schemas)).changes).toHaveLength(1); // worker started
    const t0 = Date.now();
    const out = await strict.run([slow(2)], schemas);
    expect(out.changes).toEqual([]);
    expect(out.failed.map((f) => [f.ref.offset, f.reason, f.errorClass])).toEqual([['2', 'decode-failed', 'AbortError']]);
    expect(out.failed[0]!.message).toMatch(/decoding failed twice/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600); // two attempts of 300 ms each
    const after = await lenient.run([good(3), good(4)], schemas);
    expect(after.changes.map((c) => c.ref.offset)).toEqual(['3', '4']);
  }, 60_000);

  it('jobs of a replaced assignment are dropped from the queue, not decoded and not dead-lettered', async () => {
    const replaced = new AbortController();
    // The pool has one worker: the first job takes it, the two submitted behind it wait in
    // piscina's queue when the rebalance aborts them (before the first can have finished).
    const running = lenient.run([good(10)], schemas);
    const queued = [lenient.run([good(11)], schemas, replaced.signal), lenient.run([good(12), good(13)], schemas, replaced.signal)];
    replaced.abort(); // the rebalance
    for (const q of queued) await expect(q).rejects.toMatchObject({ name: 'AbortError' });
    expect((await running).changes.map((c) => c.ref.offset)).toEqual(['10']); // the current assignment's job is untouched
    expect((await lenient.run([good(14)], schemas)).changes.map((c) => c.ref.offset)).toEqual(['14']);
  }, 120_000);
});
