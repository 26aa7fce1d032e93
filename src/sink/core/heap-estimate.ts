/**
 * An estimate of the V8 heap a decoded change occupies on the sink's main thread, from the time its
 * decode job returns until its batch is committed: a PackedChange (packed-change.ts), its ref, the
 * offset and kind strings and its JSON body. The topic, table and schema ids are shared per job.
 *
 * Why: SINK_MAX_INFLIGHT_BYTES used to count the records' encoded bytes only. A change decoded into
 * JavaScript objects is larger than its Avro bytes (6–10 times as a RowChange, ~2 times packed), so a
 * 64 MiB bound let a whole 200k-change backlog (≈30 MiB of Avro) sit decoded in the main thread.
 * Charging this estimate against the same bound makes the bound mean memory again.
 *
 * The constants follow V8's layout on 64-bit with pointer compression off (Node's default build):
 * an object header plus 8 bytes per property, a string header of ~16 bytes plus its characters
 * (one byte each for Latin-1 text, which rendered PG values almost always are). They are deliberately
 * on the high side: an over-estimate only pauses consumption a little earlier.
 */
import type { PackedChange } from './packed-change.js';

const OBJECT = 64;
const STRING = 24;
const PER_PROPERTY = 16;

const str = (s: string | undefined): number => (s === undefined ? 0 : STRING + s.length);

/** Estimated heap bytes of one packed change, its ref and strings included. */
export function changeHeapBytes(ch: PackedChange): number {
  return OBJECT * 2 + PER_PROPERTY * 10 + str(ch.ref.offset) + str(ch.kind) + str(ch.body);
}
