/**
 * Hardens avsc's binary decoding against hostile bodies. Loaded for its effect by decode-record.ts
 * (in the decode workers and the main thread); encoding is untouched.
 *
 * - Block counts. avsc trusts an array or map block count and allocates `new Array(n)` before it
 *   reads a single element: a body whose count says 2^31−1 with four bytes behind it ran a worker out
 *   of memory and aborted the whole process. Every element of a non-empty item type takes at least one
 *   byte, so a count larger than the bytes left in the buffer is a lie: it is refused before anything
 *   is allocated. (An array of `null`s, zero bytes per element, longer than the rest of the record is
 *   refused too; no CDC schema has one.)
 * - Strings. avsc decodes UTF-8 with replacement characters, which would store U+FFFD where the
 *   producer sent bytes that are not text, a silent change of the value. A string containing U+FFFD is
 *   re-checked strictly and refused if its bytes are not valid UTF-8 (Avro strings are UTF-8, spec
 *   §"Primitive Types").
 */
import avro from 'avsc';

export class AvroBoundsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AvroBoundsError';
  }
}

interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

interface ReadableType {
  _read(tap: Tap): unknown;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads one block header; refuses a count that cannot fit in the bytes left. */
function blockCount(tap: Tap): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong(); // the block's byte size, which we do not need
  }
  const left = tap.buf.length - tap.pos;
  if (n > left) throw new AvroBoundsError(`Avro block count ${n} exceeds the ${Math.max(0, left)} bytes left in the record`);
  return n;
}

/** Throws when the string just read (ending at tap.pos) was not valid UTF-8 on the wire. */
function checkUtf8(tap: Tap, start: number, s: unknown): void {
  if (typeof s !== 'string' || !s.includes('\uFFFD')) return;
  let i = start;
  while (i < tap.pos && (tap.buf[i]! & 0x80) !== 0) i++; // the zig-zag varint length prefix
  try {
    strictUtf8.decode(tap.buf.subarray(i + 1, tap.pos));
  } catch {
    throw new AvroBoundsError(`string at byte ${start} is not valid UTF-8`);
  }
}

function readString(tap: Tap): string {
  const start = tap.pos;
  const s = tap.readString();
  checkUtf8(tap, start, s);
  return s;
}

type Proto = { prototype: ReadableType & { itemsType?: ReadableType; valuesType?: ReadableType } };
const types = avro.types as unknown as { ArrayType: Proto; MapType: Proto; StringType: Proto };

types.ArrayType.prototype._read = function (this: { itemsType: ReadableType }, tap: Tap): unknown[] {
  const out: unknown[] = [];
  for (let n = blockCount(tap); n !== 0; n = blockCount(tap)) {
    while (n-- > 0) out.push(this.itemsType._read(tap));
  }
  return out;
};

types.MapType.prototype._read = function (this: { valuesType: ReadableType }, tap: Tap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let n = blockCount(tap); n !== 0; n = blockCount(tap)) {
    while (n-- > 0) {
      const key = readString(tap);
      // defineProperty: a key named __proto__ must stay data, not replace the object's prototype.
      Object.defineProperty(out, key, { value: this.valuesType._read(tap), enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
};

types.StringType.prototype._read = (tap: Tap): string => readString(tap);

/** Imported for its effect; exported so the import is not elided and tests can assert it ran. */
export const avroBoundsInstalled = true;
