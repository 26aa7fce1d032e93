/**
 * What the source knows about one replicated table: its columns and keys (from driver metadata)
 * and its CDC options (from `system_schema.tables.extensions['cdc']`). Plain data, built by
 * table-discovery.ts and consumed by the pure mapping code.
 */
import type { CqlType } from './cql-type.js';

export type ColumnKind = 'partition_key' | 'clustering' | 'static' | 'regular';

export interface ColumnModel {
  name: string;
  type: CqlType;
  kind: ColumnKind;
}

export interface CdcOptions {
  enabled: boolean;
  preimage: 'false' | 'true' | 'full';
  postimage: boolean;
  delta: 'full' | 'keys';
  /** Log TTL in seconds; 0 = never expires. */
  ttlSeconds: number;
}

export interface TableModel {
  keyspace: string;
  table: string;
  /** All columns in schema order: partition key, clustering key, then the others. */
  columns: ColumnModel[];
  partitionKey: string[];
  clusteringKey: string[];
  clusteringOrder: ('ASC' | 'DESC')[];
  cdc: CdcOptions;
  /** Columns left out by SCYLLA_EXCLUDE_COLUMNS (exclude-columns.ts): in the log, never in records. */
  excluded?: string[];
}

export const DEFAULT_CDC_OPTIONS: CdcOptions = { enabled: false, preimage: 'false', postimage: false, delta: 'full', ttlSeconds: 86400 };

export function qualifiedName(t: Pick<TableModel, 'keyspace' | 'table'>): string {
  return `${t.keyspace}.${t.table}`;
}

export function logTableName(table: string): string {
  return `${table}_scylla_cdc_log`;
}

export function keyColumns(t: TableModel): ColumnModel[] {
  return t.columns.filter((c) => c.kind === 'partition_key' || c.kind === 'clustering');
}

export function valueColumns(t: TableModel): ColumnModel[] {
  return t.columns.filter((c) => c.kind === 'static' || c.kind === 'regular');
}

export function columnByName(t: TableModel, name: string): ColumnModel | undefined {
  return t.columns.find((c) => c.name === name);
}

/**
 * Decodes the `cdc` extension blob: a serialized map<string,string> with LITTLE-endian int32
 * count and lengths (ScyllaDB cdc/cdc_options.hh; scylla-cdc-go utils.go reads it the same way).
 */
export function decodeCdcExtension(blob: Uint8Array | undefined | null): CdcOptions | undefined {
  if (!blob || blob.length < 4) return undefined;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let pos = 0;
  const readInt = () => {
    if (pos + 4 > blob.length) throw new Error('truncated cdc extension');
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const dec = new TextDecoder();
  const readStr = () => {
    const len = readInt();
    if (len < 0 || pos + len > blob.length) throw new Error('truncated cdc extension');
    const s = dec.decode(blob.subarray(pos, pos + len));
    pos += len;
    return s;
  };
  const n = readInt();
  const map: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = readStr().toLowerCase();
    map[k] = readStr().toLowerCase();
  }
  return cdcOptionsFromMap(map);
}

export function cdcOptionsFromMap(map: Record<string, string>): CdcOptions {
  const truthy = (v: string | undefined) => v === 'true' || v === '1';
  const pre = map['preimage'];
  const ttl = map['ttl'] !== undefined ? Number(map['ttl']) : DEFAULT_CDC_OPTIONS.ttlSeconds;
  return {
    enabled: truthy(map['enabled']),
    preimage: pre === 'full' ? 'full' : truthy(pre) ? 'true' : 'false',
    postimage: truthy(map['postimage']),
    delta: map['delta'] === 'keys' ? 'keys' : 'full',
    ttlSeconds: Number.isFinite(ttl) && ttl >= 0 ? ttl : DEFAULT_CDC_OPTIONS.ttlSeconds,
  };
}

/** Encodes options as the extension blob; the inverse of decodeCdcExtension (tests, fixtures). */
export function encodeCdcExtension(map: Record<string, string>): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const int = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    parts.push(b);
  };
  const entries = Object.entries(map);
  int(entries.length);
  for (const [k, v] of entries) {
    for (const s of [k, v]) {
      const bytes = enc.encode(s);
      int(bytes.length);
      parts.push(bytes);
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * A stable fingerprint of the columns and the clustering order (the envelope's `Bound` marks DESC
 * columns, so a table dropped and made again with another order needs its schemas again): when it
 * changes, schemas are re-derived and re-registered.
 */
export function schemaFingerprint(t: TableModel, typeToString: (c: ColumnModel) => string): string {
  return `${t.columns.map((c) => `${c.name}:${c.kind}:${typeToString(c)}`).join('|')}#${t.clusteringOrder.join(',')}`;
}
