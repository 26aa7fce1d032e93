/**
 * Kafka's Metadata request and response, version 12, reduced to what the sink needs: the cluster id
 * and each topic's id. Pure: bytes in, bytes out.
 *
 * Why: a topic id (KIP-516, Kafka 2.8+) changes when a topic is deleted and recreated, while its
 * name and offsets look the same. kafkajs 2.2.4 speaks Metadata v0–v6 only and so never sees the id;
 * `topic-ids.ts` sends this request through a kafkajs broker connection (same TLS and SASL).
 *
 * Wire layout (Kafka's clients/src/main/resources/common/message/MetadataRequest.json and
 * MetadataResponse.json, "flexibleVersions": "9+"): compact strings and arrays (unsigned varint
 * length + 1), a tagged-field buffer after every struct. kafkajs writes the request header v1
 * (api key, version, correlation id, client id); the header v2 of flexible versions adds a tagged-field
 * buffer after the client id, so the body starts with one (an empty buffer is a single 0 byte), and
 * the response body starts with the response header v1's tagged fields.
 */

export const METADATA_API_KEY = 3;
export const METADATA_VERSION = 12;

export interface TopicIdMetadata {
  clusterId: string | null;
  /** topic name → topic id in Kafka's own text form (URL-safe base64 of the 16 bytes, no padding). */
  topics: Map<string, { id: string; errorCode: number }>;
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function compactString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([uvarint(b.length + 1), b]);
}

const ZERO_UUID = Buffer.alloc(16);

/** The body of a Metadata v12 request for `topics` (by name), after kafkajs's header v1. */
export function encodeMetadataRequest(topics: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0]) /* header v2 tagged fields */, uvarint(topics.length + 1)];
  for (const t of topics) parts.push(ZERO_UUID, compactString(t), Buffer.from([0]));
  parts.push(Buffer.from([0]) /* allow_auto_topic_creation = false */, Buffer.from([0]) /* include_topic_authorized_operations */, Buffer.from([0]));
  return Buffer.concat(parts);
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`Metadata v12 response truncated at byte ${this.pos} (needed ${n} more)`);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('Metadata v12 response: varint longer than 5 bytes');
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** COMPACT_NULLABLE_STRING (a COMPACT_STRING reads the same way, never null). */
  string(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.bytes(n - 1).toString('utf8');
  }

  array<T>(item: () => T): T[] {
    const n = this.uvarint();
    if (n === 0) return [];
    // Bound by the bytes left: a count cannot exceed them (each item is at least one byte).
    if (n - 1 > this.buf.length - this.pos) throw new Error(`Metadata v12 response: array of ${n - 1} items in ${this.buf.length - this.pos} bytes`);
    const out: T[] = [];
    for (let i = 0; i < n - 1; i++) out.push(item());
    return out;
  }

  taggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint(); // tag
      this.bytes(this.uvarint());
    }
  }
}

/** Decodes the response body that follows the correlation id. */
export function decodeMetadataResponse(body: Buffer): TopicIdMetadata {
  const r = new Reader(body);
  r.taggedFields(); // response header v1
  r.int32(); // throttle_time_ms
  r.array(() => {
    r.int32(); // node_id
    r.string(); // host
    r.int32(); // port
    r.string(); // rack
    r.taggedFields();
  });
  const clusterId = r.string();
  r.int32(); // controller_id
  const topics = new Map<string, { id: string; errorCode: number }>();
  r.array(() => {
    const errorCode = r.int16();
    const name = r.string();
    const id = r.bytes(16).toString('base64url');
    r.int8(); // is_internal
    r.array(() => {
      r.int16(); // error_code
      r.int32(); // partition_index
      r.int32(); // leader_id
      r.int32(); // leader_epoch
      r.array(() => r.int32()); // replica_nodes
      r.array(() => r.int32()); // isr_nodes
      r.array(() => r.int32()); // offline_replicas
      r.taggedFields();
    });
    r.int32(); // topic_authorized_operations
    r.taggedFields();
    if (name !== null) topics.set(name, { id, errorCode });
  });
  r.taggedFields();
  return { clusterId, topics };
}
