/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro body. */
export const MAGIC_BYTE = 0;

export type WireHeader = { ok: true; schemaId: number } | { ok: false; problem: 'bad-magic-byte' | 'undecodable' };

export function readWireHeader(buf: Uint8Array): WireHeader {
  if (buf.length < 5) return { ok: false, problem: 'undecodable' };
  if (buf[0] !== MAGIC_BYTE) return { ok: false, problem: 'bad-magic-byte' };
  const id = ((buf[1]! << 24) >>> 0) + (buf[2]! << 16) + (buf[3]! << 8) + buf[4]!;
  return { ok: true, schemaId: id };
}
