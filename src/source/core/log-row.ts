/**
 * One CDC log row as the pure core sees it. The shell fills the metadata fields from the driver
 * row (`cdc$stream_id`, `cdc$time`, …) and passes the raw row for column access, so the core
 * never touches driver classes.
 */

export const CDC_META_COLUMNS = new Set(['cdc$stream_id', 'cdc$time', 'cdc$batch_seq_no', 'cdc$operation', 'cdc$ttl', 'cdc$end_of_batch']);

export interface CdcLogRow {
  streamId: Uint8Array;
  /** `cdc$time` as text (the change id within the stream). */
  time: string;
  /** Write timestamp in µs, decoded from the timeuuid. */
  timeMicros: number;
  seq: number;
  op: number;
  ttl: number | null;
  endOfBatch: boolean;
  /** The whole row by column name (`X`, `cdc$deleted_X`, `cdc$deleted_elements_X`, keys). */
  cells: Record<string, unknown>;
}

export const OP = {
  PRE_IMAGE: 0,
  UPDATE: 1,
  INSERT: 2,
  ROW_DELETE: 3,
  PARTITION_DELETE: 4,
  RANGE_START_INCLUSIVE: 5,
  RANGE_START_EXCLUSIVE: 6,
  RANGE_END_INCLUSIVE: 7,
  RANGE_END_EXCLUSIVE: 8,
  POST_IMAGE: 9,
  SERVICE_ROW_DELETE: -3,
  SERVICE_PARTITION_DELETE: -4,
} as const;

const GREGORIAN_OFFSET_100NS = 0x01b21dd213814000n;
const GREGORIAN_HIGH = 0x01b21dd2;
const GREGORIAN_LOW = 0x13814000;

/** ⌊(high·2³² + low) / 10⌋ for the 100 ns ticks since 1970 (high ≥ 0, |low| < 2³²), without BigInt. */
function ticksToMicros(high: number, low: number): number {
  const q = Math.floor(high / 10);
  const r = high - q * 10;
  return q * 4294967296 + Math.floor((r * 4294967296 + low) / 10);
}

/**
 * `timeuuidToMicros` from the 16 bytes (the driver's TimeUuid holds them): the same fields without
 * parsing text. Before 1970, the text path (BigInt) as there.
 */
export function timeuuidBytesToMicros(b: Uint8Array, text: string): number {
  const low = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  const high = (((b[6]! & 0x0f) << 8) | b[7]!) * 0x10000 + ((b[4]! << 8) | b[5]!);
  if (high >= GREGORIAN_HIGH) return ticksToMicros(high - GREGORIAN_HIGH, low - GREGORIAN_LOW);
  return timeuuidToMicros(text);
}

/** µs since the epoch from a timeuuid's 60-bit timestamp (ScyllaDB cdc/log.cc: getDate() would lose µs). */
export function timeuuidToMicros(uuid: string): number {
  // the canonical 8-4-4-4-12 form, after 1970: exact in doubles (ticks split in 32-bit halves)
  if (uuid.length === 36 && uuid[8] === '-' && uuid[13] === '-' && uuid[18] === '-') {
    const low = parseInt(uuid.slice(0, 8), 16);
    const high = (parseInt(uuid.slice(14, 18), 16) & 0x0fff) * 0x10000 + parseInt(uuid.slice(9, 13), 16);
    if (low >= 0 && high >= GREGORIAN_HIGH) return ticksToMicros(high - GREGORIAN_HIGH, low - GREGORIAN_LOW);
  }
  const hex = uuid.replace(/-/g, '');
  if (hex.length !== 32) throw new Error(`not a uuid: ${uuid}`);
  const timeLow = BigInt(`0x${hex.slice(0, 8)}`);
  const timeMid = BigInt(`0x${hex.slice(8, 12)}`);
  const timeHi = BigInt(`0x${hex.slice(12, 16)}`) & 0x0fffn;
  const ticks = (timeHi << 48n) | (timeMid << 32n) | timeLow;
  return Number((ticks - GREGORIAN_OFFSET_100NS) / 10n);
}

export function hex(b: Uint8Array): string {
  // a Buffer (what the driver hands out) needs no view of its own
  return (b instanceof Buffer ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('hex');
}

/** CDCPartitioner token of a stream: the first 8 bytes, big-endian signed (ScyllaDB cdc/cdc_partitioner.cc). */
export function streamToken(streamId: Uint8Array): bigint {
  if (streamId.length < 8) return -(2n ** 63n);
  return new DataView(streamId.buffer, streamId.byteOffset, 8).getBigInt64(0, false);
}

/**
 * Vnode index of a vnode-mode stream id (bits 4..25 of the low qword, version 1), as Go and Java
 * read it; -1 for ids that are not 16 bytes of version 1 (each then forms its own group).
 */
export function streamVnodeIndex(streamId: Uint8Array): number {
  if (streamId.length !== 16) return -1;
  const low = new DataView(streamId.buffer, streamId.byteOffset + 8, 8).getBigUint64(0, false);
  if ((low & 0xfn) !== 1n) return -1;
  return Number((low >> 4n) & 0x3fffffn);
}
