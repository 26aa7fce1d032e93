/**
 * The canonical text of a uuid (8-4-4-4-12, lower-case hex) in one string allocation. The driver's
 * Uuid#toString makes a hex string, five substrings and a chain of concatenations for each value
 * (cassandra-driver lib/types/uuid.js); the source turns every key uuid and every `cdc$time` into
 * text, and those were a tenth of its allocations.
 */
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const scratch = Buffer.allocUnsafe(36);

/** Text of 16 uuid bytes. */
export function uuidBytesText(b: Uint8Array): string {
  let p = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) scratch[p++] = 0x2d; // '-'
    const x = b[i]!;
    scratch[p++] = HEX[x >> 4]!;
    scratch[p++] = HEX[x & 15]!;
  }
  return scratch.toString('latin1', 0, 36);
}

/** The 16 bytes of a driver Uuid/TimeUuid (recognised by its 16-byte `buffer`), else undefined. */
export function uuidBytes(v: unknown): Uint8Array | undefined {
  const b = (v as { buffer?: unknown } | null)?.buffer;
  return b instanceof Uint8Array && b.length === 16 ? b : undefined;
}

/** Text of a driver Uuid/TimeUuid, else `String(v)`. */
export function uuidText(v: unknown): string {
  const b = uuidBytes(v);
  return b ? uuidBytesText(b) : String(v);
}
