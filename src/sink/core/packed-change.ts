/**
 * The form a decoded change is held in on the sink's main thread, from its decode until its batch
 * is written: the few fields routing, batching and offsets need as properties, and everything the
 * fold needs (op, key, cells, write time, range, expiry) as one JSON string, unpacked into a
 * RowChange only when its batch is written (flusher.ts).
 *
 * Why (docs/sink.md, "Memory"): a change lives seconds between its decode and its commit, so it is
 * promoted to V8's old generation and dies there. As a RowChange it was ~12 objects and ~20 strings,
 * each copied one by one by the structured clone from the decode worker: ~1.9 KB of heap for a
 * 259-byte `users` record, and the old generation of the main thread grew with that garbage. Packed,
 * it is two objects and two strings (the offset and the body), and the unpacked form lives only while
 * its batch is folded and written.
 */
import type { ApplyKind, CellChange, ClaimedTarget, RecordRef, RowChange, SchemaIds } from './types.js';

export interface PackedChange {
  ref: RecordRef;
  kind: ApplyKind;
  /** Encoded size of the original record, for in-flight accounting. */
  bytes: number;
  /** Registry ids of the key and value schemas: they identify the TableShape (schema change detection). */
  schemaIds: SchemaIds;
  /** Target table, set from the topic by routeByTopic (topic-target.ts); '' until then. */
  table: string;
  /** The topic's {keyspace} when KAFKA_TOPIC_TEMPLATE names one (routeByTopic); the claim agrees with it. */
  keyspace?: string;
  /** JSON of `Body`: the rest of the RowChange. */
  body: string;
}

/** A packed change as decoded, before routeByTopic checked its claim and set its table. */
export interface ClaimedChange extends PackedChange {
  /** What the envelope's `source` block says; checked against the topic, never trusted. */
  claimed: ClaimedTarget;
}

/**
 * A packed change as a decode worker posts it: `at` is the index of its record in the job, whose
 * ref the caller already holds (decode-limits.ts `withRefs`), so no ref is cloned back per change.
 */
export interface PostedChange extends Omit<ClaimedChange, 'ref'> {
  at: number;
}

/**
 * A plain OVERWRITE cell (by far the most common) is stored as its value alone, which is a string
 * or null; any other cell as its CellChange object.
 */
type PackedCell = string | null | CellChange;

type Body = [
  op: string,
  tsUs: string,
  seq: number,
  key: (string | null)[],
  cells: Record<string, PackedCell>,
  range: RowChange['range'] | null,
  expiry: RowChange['expiry'] | null,
];

function packCell(c: CellChange): PackedCell {
  return c.m === 'set' && !('listKeys' in c) ? c.value : c;
}

function unpackCell(c: PackedCell): CellChange {
  return c === null || typeof c === 'string' ? { m: 'set', value: c } : c;
}

/** The JSON text of what `c` holds beyond its ref, kind and size. */
export function packBody(c: RowChange): string {
  const cells: Record<string, PackedCell> = {};
  for (const name in c.cells) cells[name] = packCell(c.cells[name]!);
  const body: Body = [c.op, c.tsUs, c.seq, c.key, cells, c.range ?? null, c.expiry ?? null];
  return JSON.stringify(body);
}

export function packChange(c: RowChange, schemaIds: SchemaIds): PackedChange {
  return { ref: c.ref, kind: c.kind, bytes: c.bytes, schemaIds, table: '', body: packBody(c) };
}

/**
 * The changes of `packed` unpacked one at a time, each passed to `seen` first: folded as they come
 * (fold.ts), a change's wrapper objects die young and only what its folded row keeps is live at once.
 */
export function* unpackEach(packed: Iterable<PackedChange>, seen: (c: RowChange) => void): Generator<RowChange> {
  for (const p of packed) {
    const c = unpackChange(p);
    seen(c);
    yield c;
  }
}

/** The RowChange `p` was packed from (same fields, same values). */
export function unpackChange(p: PackedChange): RowChange {
  const [op, tsUs, seq, key, packed, range, expiry] = JSON.parse(p.body) as Body;
  const cells: Record<string, CellChange> = {};
  for (const name in packed) cells[name] = unpackCell(packed[name]!);
  const c: RowChange = { ref: p.ref, kind: p.kind, op, key, cells, tsUs, seq, bytes: p.bytes };
  if (range !== null) c.range = range;
  if (expiry !== null) c.expiry = expiry;
  return c;
}
