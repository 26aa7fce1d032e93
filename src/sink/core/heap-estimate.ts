/**
 * An estimate of the V8 heap a decoded change occupies on the sink's main thread, from the time its
 * decode job returns until its batch is committed.
 *
 * Why: SINK_MAX_INFLIGHT_BYTES used to count the records' encoded bytes only. A change decoded into
 * JavaScript objects (one object per change, per cell, one string per rendered value) is 6–10 times
 * larger than its Avro bytes, so a 64 MiB bound let a whole 200k-change backlog (≈30 MiB of Avro)
 * sit decoded in the main thread: about 250 MiB of live heap, measured with --max-old-space-size
 * (the heap ran out at 256 MiB). Charging this estimate against the same bound makes the bound mean
 * memory again.
 *
 * The constants follow V8's layout on 64-bit with pointer compression off (Node's default build):
 * an object header plus 8 bytes per property, a string header of ~16 bytes plus its characters
 * (one byte each for Latin-1 text, which rendered PG values almost always are). They are deliberately
 * on the high side: an over-estimate only pauses consumption a little earlier.
 */
import type { CellChange, RowChange } from './types.js';

const OBJECT = 64;
const STRING = 24;
const PER_PROPERTY = 16;

const str = (s: string | null | undefined): number => (s == null ? 0 : STRING + s.length);

function cellBytes(c: CellChange): number {
  const base = OBJECT + PER_PROPERTY * 3 + str(c.listKeys);
  return c.m === 'set' ? base + str(c.value) : base + str(c.add) + str(c.remove);
}

/** Estimated heap bytes of one decoded change, its ref, key, cells and range included. */
export function changeHeapBytes(ch: RowChange & { table?: string; schemaKey?: string }): number {
  let n = OBJECT * 3 + PER_PROPERTY * 14 + str(ch.ref.topic) + str(ch.ref.offset) + str(ch.tsUs) + str(ch.table) + str(ch.schemaKey);
  for (const k of ch.key) n += PER_PROPERTY + str(k);
  for (const name in ch.cells) n += PER_PROPERTY + str(name) + cellBytes(ch.cells[name]!);
  if (ch.range) for (const b of [ch.range.start, ch.range.end]) for (const v of b.values) n += PER_PROPERTY + str(v);
  return n;
}
