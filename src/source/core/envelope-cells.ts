/**
 * The cells of an event (schemas/README.md, "Non-frozen collections"): a column's value in a delta,
 * a pre-image or a post-image log row, and how two delta rows of one statement on one key merge.
 * Split from build-envelope.ts, which assembles these cells into records.
 */
import type { CqlType } from '../../schema/cql-type.js';
import { isNonFrozenMultiCell } from '../../schema/cql-type.js';
import { mapEntries, toAvroValue } from '../../schema/avro-value.js';
import type { ColumnModel } from '../../schema/table-model.js';

type Obj = Record<string, unknown>;

export interface Cell {
  value: unknown;
  mode?: 'OVERWRITE' | 'MODIFY' | null;
  removed?: unknown[] | null;
  list_keys?: string[] | null;
}

const DELETED = 'cdc$deleted_';
const DELETED_ELEMENTS = 'cdc$deleted_elements_';

export function isEmptyCollection(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map || v instanceof Set) return v.size === 0;
  return false;
}

/** A multi-cell column's value as elements: lists come as frozen map<timeuuid, V> in the log. */
function multiCellValue(t: CqlType, raw: unknown): { value: unknown; listKeys: string[] | null } {
  if (raw === null || raw === undefined) return { value: null, listKeys: null };
  if (t.kind === 'list') {
    // In the log a non-frozen list is map<timeuuid, V>; images may also hand us a plain array.
    if (Array.isArray(raw)) return { value: raw.map((e) => toAvroValue(t.element, e)), listKeys: null };
    const entries = mapEntries(raw);
    return { value: entries.map(([, v]) => toAvroValue(t.element, v)), listKeys: entries.map(([k]) => String(k)) };
  }
  return { value: toAvroValue(t, raw), listKeys: null };
}

function removedItems(t: CqlType, raw: unknown): unknown[] | null {
  if (raw === null || raw === undefined) return null;
  const items = Array.isArray(raw) ? raw : raw instanceof Set ? [...raw] : raw instanceof Map ? [...raw.keys()] : [raw];
  switch (t.kind) {
    case 'set':
      return items.map((e) => toAvroValue(t.element, e));
    case 'map':
      return items.map((e) => toAvroValue(t.key, e));
    case 'list':
      return items.map((e) => String(e));
    case 'udt':
      return items.map((i) => t.fields[Number(i)]?.name ?? String(i));
    default:
      return items.map((e) => String(e));
  }
}

/**
 * The cell of a value column in a delta or pre-image row: null = untouched; `{value:null}` = set
 * to NULL; for non-frozen collections/UDTs the delta form of schemas/README.md.
 */
export function deltaCell(c: ColumnModel, row: Obj): Cell | null {
  const raw = row[c.name];
  const deleted = row[DELETED + c.name] === true;
  if (!isNonFrozenMultiCell(c.type)) {
    if (raw !== null && raw !== undefined) return { value: toAvroValue(c.type, raw) };
    return deleted ? { value: null } : null;
  }
  const removedRaw = row[DELETED_ELEMENTS + c.name];
  const { value, listKeys } = multiCellValue(c.type, raw);
  const withKeys = (cell: Cell): Cell => (c.type.kind === 'list' ? { ...cell, list_keys: listKeys } : cell);
  if (deleted) {
    // Overwrite (`SET X = {...}`, INSERT) or clear (`SET X = null/{}`, DELETE X).
    return withKeys({ value: isEmptyCollection(raw) ? null : value, mode: 'OVERWRITE', removed: null });
  }
  if (raw === null || raw === undefined) {
    if (removedRaw === null || removedRaw === undefined) return null;
    const cell: Cell = { value: c.type.kind === 'udt' ? null : [], mode: 'MODIFY', removed: removedItems(c.type, removedRaw) };
    return c.type.kind === 'list' ? { ...cell, list_keys: [] } : cell;
  }
  return withKeys({ value, mode: 'MODIFY', removed: removedItems(c.type, removedRaw) });
}

/** A post-image holds every column, whole; a null column there means NULL, not untouched. */
export function postImageCell(c: ColumnModel, row: Obj): Cell {
  const raw = row[c.name];
  if (!isNonFrozenMultiCell(c.type)) return { value: raw === null || raw === undefined ? null : toAvroValue(c.type, raw) };
  const { value, listKeys } = multiCellValue(c.type, raw);
  const cell: Cell = { value: isEmptyCollection(raw) ? null : value, mode: 'OVERWRITE', removed: null };
  return c.type.kind === 'list' ? { ...cell, list_keys: listKeys } : cell;
}

/** In a pre-image, included columns are whole values (images never carry deltas). */
export function preImageCell(c: ColumnModel, row: Obj): Cell | null {
  const raw = row[c.name];
  const deleted = row[DELETED + c.name] === true;
  if ((raw === null || raw === undefined) && !deleted) return null;
  return postImageCell(c, row);
}

/** Merges a later delta cell of the same statement into an earlier one. */
export function mergeCells(a: Cell | null, b: Cell | null): Cell | null {
  if (!a) return b;
  if (!b) return a;
  if (a.mode === undefined && b.mode === undefined) return b; // atomic: the later row wins
  if (b.mode === 'OVERWRITE' || b.mode === null) return b;
  // b is MODIFY
  if (a.mode === 'OVERWRITE' || a.mode === null) {
    // tombstone then additions (a TTL'd overwrite is split in two rows): the result is an overwrite
    const value = concatValues(a.value, b.value);
    return { ...a, value: isEmptyValue(value) ? null : value, list_keys: concatKeys(a.list_keys, b.list_keys) };
  }
  return {
    ...b,
    value: concatValues(a.value, b.value),
    removed: a.removed || b.removed ? [...(a.removed ?? []), ...(b.removed ?? [])] : null,
    list_keys: concatKeys(a.list_keys, b.list_keys),
  };
}

function isEmptyValue(v: unknown): boolean {
  return v === null || (Array.isArray(v) && v.length === 0);
}

function concatValues(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) || Array.isArray(b)) return [...((a as unknown[]) ?? []), ...((b as unknown[]) ?? [])];
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    // UDT: fields set by the later row win; null fields mean "not set" in a UDT delta
    const out: Obj = { ...(a as Obj) };
    for (const [k, v] of Object.entries(b as Obj)) if (v !== null && v !== undefined) out[k] = v;
    return out;
  }
  return b ?? a;
}

function concatKeys(a: string[] | null | undefined, b: string[] | null | undefined): string[] | null | undefined {
  if (!a && !b) return a ?? b;
  return [...(a ?? []), ...(b ?? [])];
}

// ---------------------------------------------------------------------------------------------

/** Key of the row marker in `source.cell_ttls` (`$` never occurs in an Avro field name). */
export const MARKER_TTL_FIELD = '$marker';

/**
 * TTLs of one key's merged delta rows. ScyllaDB splits a statement's cells by TTL into several log
 * rows (docs/features/cdc/cdc-log-table.rst, "Time-to-live column"), and a batch can write one row
 * with several TTLs at one timestamp. `ttl` is the largest (as before); `cellTtls` is null when
 * every live cell and the marker share one TTL, else each live cell's TTL by field name and the
 * marker's under MARKER_TTL_FIELD (absent = no TTL), so a sink can expire each on its own.
 */
export function mergedTtls(
  values: ColumnModel[],
  /** `cells`: each row's `deltaCell` of every column of `values`, in that order. */
  rows: { ttl: number | null; isInsert: boolean; cells: (Cell | null)[] }[],
  fieldOf: (c: ColumnModel) => string,
): { ttl: number | null; cellTtls: Record<string, number> | null } {
  const per = new Map<string, number | null>();
  for (const r of rows) {
    if (r.isInsert) per.set(MARKER_TTL_FIELD, r.ttl);
    values.forEach((c, ci) => {
      const cell = r.cells[ci];
      if (cell && !isEmptyValue(cell.value)) per.set(fieldOf(c), r.ttl);
    });
  }
  const ttls = rows.map((x) => x.ttl).filter((x): x is number => x !== null);
  const ttl = ttls.length > 0 ? Math.max(...ttls) : null;
  const distinct = new Set(per.values());
  if (distinct.size <= 1) return { ttl, cellTtls: null };
  const cellTtls: Record<string, number> = {};
  for (const [k, v] of per) if (v !== null && v > 0) cellTtls[k] = v;
  return { ttl, cellTtls };
}
