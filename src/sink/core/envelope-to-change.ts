/**
 * A decoded envelope (ours, schemas/README.md, or the Scylla connector's legacy format) → RowChange.
 *
 * Cell semantics: a null cell = column not touched; `{value: null}` = set to NULL. The connector's
 * cells are `{value}` only (OVERWRITE); ours may add `mode`, `removed`, `list_keys` for collection
 * deltas. A non-cell, non-key field (a flattened producer) counts as "set".
 */
import { fieldsOf, prop, unwrapNullable, type NameTable } from './avro-names.js';
import type { AvroSchema } from '../../schema/avro-schema.js';
import { arrayLiteral, arrayText, jsonText, listKeyText, mapKeyText, mapObjectText, scalarText } from './pg-text.js';
import { RecordError } from './record-error.js';
import { changeExpiry } from './expiry.js';
import type { CellChange, ColumnShape, RangeBound, RecordRef, RowChange, TableShape } from './types.js';

export interface DecodedEnvelope {
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  op?: string;
  ts_ms?: unknown;
  source?: Record<string, unknown> | null;
}

/** Renders one column value (non-null) as PG text according to the column's storage. */
export function columnText(v: unknown, col: ColumnShape, names: NameTable): string | null {
  if (v === null || v === undefined) return null;
  try {
    if (col.storage === 'scalar') return scalarText(v, col.codec);
    if (col.storage === 'array') return arrayText(v, col.codec);
    return jsonText(v, col.avro as AvroSchema, names);
  } catch (err) {
    throw new RecordError('type-violation', `column ${col.name}: ${(err as Error).message}`);
  }
}

function cellChange(raw: Record<string, unknown>, col: ColumnShape, names: NameTable): CellChange {
  const mode = typeof raw.mode === 'string' ? raw.mode.toUpperCase() : 'OVERWRITE';
  const listKeys = Array.isArray(raw.list_keys) ? arrayLiteral((raw.list_keys as string[]).map(listKeyText)) : null;
  if (mode !== 'MODIFY' || !col.collection) {
    const value = columnText(raw.value, col, names);
    return col.collection === 'list' ? { m: 'set', value, listKeys } : { m: 'set', value };
  }
  const removedRaw = Array.isArray(raw.removed) ? (raw.removed as unknown[]) : null;
  const avro = col.avro as AvroSchema;
  switch (col.collection) {
    case 'set': {
      const items = prop(avro, 'items') as AvroSchema;
      const remove = removedRaw === null ? null : col.storage === 'array' ? columnText(removedRaw, col, names) : jsonText(removedRaw, { type: 'array', items }, names);
      return { m: 'modify', add: columnText(raw.value, col, names), remove };
    }
    case 'list': {
      const remove = removedRaw === null ? null : arrayLiteral(removedRaw.map((k) => listKeyText(String(k))));
      return { m: 'modify', add: columnText(raw.value, col, names), remove, listKeys };
    }
    case 'map': {
      const entry = unwrapNullable(prop(avro, 'items') as AvroSchema, names);
      const keyT = fieldsOf(entry).find((f) => f.name === 'key')!.type;
      const add = Array.isArray(raw.value) ? mapObjectText(raw.value as { key: unknown; value: unknown }[], entry, names) : null;
      const remove = removedRaw === null ? null : arrayLiteral(removedRaw.map((k) => mapKeyText(k, keyT, names)));
      return { m: 'modify', add, remove };
    }
    case 'udt': {
      // MODIFY of a UDT: `value` carries the fields set (non-null), `removed` the fields nulled.
      const v = (raw.value ?? {}) as Record<string, unknown>;
      const set = fieldsOf(avro).filter((f) => v[f.name] !== null && v[f.name] !== undefined);
      const add = `{${set.map((f) => `${JSON.stringify(f.name)}:${jsonText(v[f.name], f.type, names)}`).join(',')}}`;
      const remove = removedRaw === null ? null : arrayLiteral(removedRaw.map(String));
      return { m: 'modify', add, remove };
    }
  }
}

function writeTimeUs(env: DecodedEnvelope): string {
  const src = env.source ?? {};
  const us = src.ts_us;
  if (typeof us === 'bigint' || typeof us === 'number') return BigInt(us).toString();
  const ms = src.ts_ms ?? env.ts_ms;
  if (typeof ms === 'bigint' || typeof ms === 'number') return (BigInt(ms) * 1000n).toString();
  return '0';
}

function boundOf(raw: unknown, inclusive: unknown, shape: TableShape, prefixLen: number, names: NameTable): RangeBound {
  const values: string[] = [];
  if (raw && typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    for (const col of shape.keyColumns.slice(prefixLen)) {
      const v = o[col.field];
      if (v === null || v === undefined) break;
      values.push(columnText(v, col, names)!);
    }
  }
  return { values, inclusive: inclusive !== false };
}

/** Avro field name by PG column name, built once per shape (a shape is shared by every record of its schemas). */
const fieldMaps = new WeakMap<TableShape, Map<string, string>>();
function fieldsByColumn(shape: TableShape): Map<string, string> {
  let m = fieldMaps.get(shape);
  if (!m) fieldMaps.set(shape, (m = new Map(shape.valueColumns.map((c) => [c.name, c.field]))));
  return m;
}

export interface EnvelopeInput {
  ref: RecordRef;
  bytes: number;
  key: Record<string, unknown> | null;
  value: DecodedEnvelope;
  shape: TableShape;
  names: NameTable;
  cellColumns: Set<string>;
}

export function envelopeToChange(input: EnvelopeInput): RowChange {
  const { key, value: env, shape, names, cellColumns } = input;
  if (key === null) throw new RecordError('missing-key', 'record has no key');
  const op = typeof env.op === 'string' ? env.op : '';
  if (!['c', 'u', 'd', 'r'].includes(op)) throw new RecordError('unsupported', `unknown envelope op ${JSON.stringify(env.op)}`);
  const src = env.source ?? {};
  const changeKind = typeof src.change_kind === 'string' ? src.change_kind : 'row';
  const keyTexts = shape.keyColumns.map((col) => columnText(key[col.field], col, names));
  let prefixLen = keyTexts.findIndex((k) => k === null);
  if (prefixLen < 0) prefixLen = keyTexts.length;
  const seq = typeof src.seq === 'number' ? src.seq : 0;
  const base = { ref: input.ref, op, key: keyTexts, cells: {} as Record<string, CellChange>, tsUs: writeTimeUs(env), seq, bytes: input.bytes };

  if (prefixLen === 0) throw new RecordError('missing-key', 'record key has no partition key value');

  if (changeKind === 'partition_delete' && prefixLen < keyTexts.length) {
    return { ...base, kind: 'partition_delete' };
  }
  if (changeKind === 'range_delete') {
    const start = boundOf(src.range_start, src.range_start_inclusive, shape, prefixLen, names);
    const end = boundOf(src.range_end, src.range_end_inclusive, shape, prefixLen, names);
    return { ...base, kind: 'range_delete', range: { start, end } };
  }
  const isStatic = changeKind === 'static_row' && prefixLen < keyTexts.length;
  if (!isStatic && prefixLen < keyTexts.length) {
    throw new RecordError('missing-key', `key column ${shape.keyColumns[prefixLen]!.name} is null`);
  }
  if (op === 'd') return { ...base, kind: 'delete' };

  const after = env.after;
  if (!after) throw new RecordError('unsupported', `op ${op} without "after"`);
  const cells: Record<string, CellChange> = {};
  for (const col of shape.valueColumns) {
    const raw = after[col.field];
    if (cellColumns.has(col.field)) {
      if (raw === null || raw === undefined) continue; // not touched by this change
      cells[col.name] = cellChange(raw as Record<string, unknown>, col, names);
    } else if (raw !== undefined) {
      cells[col.name] = { m: 'set', value: columnText(raw, col, names) };
    }
  }
  const cellTtls = src.cell_ttls && typeof src.cell_ttls === 'object' ? (src.cell_ttls as Record<string, unknown>) : null;
  const fields = fieldsByColumn(shape);
  const expiry = changeExpiry(base.tsUs, src.ttl, cellTtls, cells, (col) => fields.get(col)!, op === 'c' && !isStatic);
  const timed = expiry.marker !== null || Object.keys(expiry.cells).length > 0;
  return { ...base, kind: isStatic ? 'static_row' : 'upsert', cells, ...(timed ? { expiry } : {}) };
}

export { RecordError };
