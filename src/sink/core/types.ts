/**
 * The sink's data model: what a decoded Kafka record becomes (RowChange), how a target table looks
 * (TableShape), and where a record came from (RecordRef). Everything here is plain data so it crosses
 * the piscina worker boundary by structured clone.
 */

/** How a column's decoded Avro value is rendered as PostgreSQL text input (see pg-text.ts). */
export type Codec =
  | { c: 'bool' }
  | { c: 'int' }
  | { c: 'float' }
  | { c: 'text' }
  | { c: 'bytea' }
  | { c: 'decimal'; scale: number }
  | { c: 'date' }
  | { c: 'time'; unit: 'ms' | 'us' }
  | { c: 'timestamp'; unit: 'ms' | 'us' }
  | { c: 'inet' }
  | { c: 'json' };

/** The collection semantics a column's cell may carry (schemas/README.md, "Non-frozen collections"). */
export type CollectionKind = 'list' | 'set' | 'map' | 'udt';

export interface ColumnShape {
  /** PostgreSQL column name: the Avro field name, shortened when over 63 bytes (sql-ident pgName). */
  name: string;
  /** Field name exactly as in Scylla / Avro: where the value is read from in the record. */
  field: string;
  /** PostgreSQL type text, e.g. `bigint`, `numeric(10,2)`, `text[]`, `jsonb`. */
  pgType: string;
  /** Scalar codec, or for arrays the element codec. */
  codec: Codec;
  /** `array`: a PG array of codec elements; `json`: jsonb built from the Avro value. */
  storage: 'scalar' | 'array' | 'json';
  /** Set when the cell carries collection deltas (MODIFY): which merge applies. */
  collection?: CollectionKind;
  /** The Avro schema of the column value (unwrapped), kept for jsonb rendering. */
  avro: unknown;
}

export interface TableShape {
  /** Scylla keyspace and table (from the envelope), and the PG table name (= Scylla table name). */
  keyspace: string;
  table: string;
  /** Partition-key and clustering-key columns in key-schema order. */
  keyColumns: ColumnShape[];
  /** Non-key columns in value-schema order. */
  valueColumns: ColumnShape[];
  /**
   * How many leading key columns are the partition key (the rest are clustering columns), from the
   * envelope's `source.range_start` Bound record, which holds the clustering columns; undefined when
   * the schema has no such record (e.g. the Scylla connector's) or it does not end the key.
   */
  partitionKeyLength?: number;
  /**
   * Per clustering column, whether it is declared DESC (the `Bound` record's `clustering_order`
   * attribute); set only when one is. Range bounds are in clustering order (clustering-order-sql.ts).
   */
  descending?: boolean[];
  /** Fingerprint of the shape: a change means "schema change" for the batcher and the table manager. */
  fingerprint: string;
}

/** Registry ids of a record's key and value schemas. */
export interface SchemaIds {
  key: number;
  value: number;
}

/** A record's own claim of its target, from its envelope `source` block ('' when absent). */
export interface ClaimedTarget {
  keyspace: string;
  table: string;
}

export interface RecordRef {
  topic: string;
  partition: number;
  /** Kafka offset as a decimal string (int64). */
  offset: string;
}

/**
 * A cell of a change, already rendered as PG text (null = SQL NULL).
 * - `set`: the column gets `value` (OVERWRITE).
 * - `modify`: a collection delta: `add` elements/entries and `remove` elements/keys, applied to the
 *   stored value by the merge functions of ddl-sql.ts.
 */
export type CellChange = { m: 'set'; value: string | null; listKeys?: string | null } | { m: 'modify'; add: string | null; remove: string | null; listKeys?: string | null };

/** What applying a change does to the target (not the envelope's `change_kind`, which the source writes). */
export type ApplyKind = 'upsert' | 'delete' | 'partition_delete' | 'range_delete' | 'static_row';

export interface RangeBound {
  /** Clustering-prefix values rendered as PG text, in clustering order; empty = unbounded. */
  values: string[];
  inclusive: boolean;
}

/** When the cells and the row marker a change writes expire (USING TTL), in µs. */
export interface ChangeExpiry {
  /** Expiry of each written cell that has one, by PG column name. */
  cells: Record<string, string>;
  /** Expiry of the row marker the change writes, or null (no marker, or no TTL). */
  marker: string | null;
}

export interface RowChange {
  ref: RecordRef;
  kind: ApplyKind;
  /** Envelope op (c/u/d/r), for metrics. */
  op: string;
  /** Key column values rendered as PG text, in key order; null for absent clustering columns. */
  key: (string | null)[];
  /** Touched non-key cells by column name. */
  cells: Record<string, CellChange>;
  /** The change's write time in µs (source.ts_us, or ts_ms*1000): the version guard. */
  tsUs: string;
  /** Position inside one Scylla batch (ties at one ts_us). */
  seq: number;
  range?: { start: RangeBound; end: RangeBound };
  /** TTL expiries of what the change writes (expiry.ts); absent = nothing expires. */
  expiry?: ChangeExpiry;
  /** Encoded size of the original record, for in-flight accounting. */
  bytes: number;
}

/** Why a record went to the DLQ; also the `reason` label of cdc_sink_dlq_records_total. */
export type DlqReason =
  | 'bad-magic-byte'
  | 'unknown-schema'
  | 'undecodable'
  | 'missing-key'
  | 'unsupported'
  | 'type-violation'
  | 'constraint-violation'
  /** The registry's schema for the id cannot be parsed by the Avro library. */
  | 'bad-schema'
  /** Key + value larger than SINK_MAX_RECORD_BYTES: not decoded. */
  | 'too-large'
  /** Decoding ran past SINK_DECODE_TIMEOUT_MS or its worker died, twice. */
  | 'decode-failed'
  /** The record's keyspace/table disagrees with its topic, or it names a `_cdc_` table or column. */
  | 'wrong-target'
  /** PostgreSQL refused the table or column DDL the record's schema asks for. */
  | 'schema-rejected';

export type DlqStage = 'KEY_CONVERTER' | 'VALUE_CONVERTER' | 'TRANSFORMATION' | 'TASK_PUT';

export interface RecordFailure {
  ref: RecordRef;
  reason: DlqReason;
  stage: DlqStage;
  errorClass: string;
  message: string;
}
