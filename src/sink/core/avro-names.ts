/**
 * Avro schema walking helpers: named-type resolution (a schema may define `Value` once under
 * `before` and refer to it by name under `after`) and null-union unwrapping.
 */
import type { AvroSchema } from '../../schema/avro-schema.js';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

export type NameTable = Map<string, AvroSchema>;

/** Indexes every named type by full name and by short name (references may use either). */
export function indexNames(schema: AvroSchema, names: NameTable = new Map(), ns = ''): NameTable {
  if (Array.isArray(schema)) {
    for (const s of schema) indexNames(s, names, ns);
    return names;
  }
  if (typeof schema !== 'object' || schema === null) return names;
  const o = schema as Record<string, unknown>;
  let innerNs = ns;
  if (typeof o.name === 'string' && (o.type === 'record' || o.type === 'enum' || o.type === 'fixed' || o.type === 'error')) {
    const declaredNs = typeof o.namespace === 'string' ? o.namespace : undefined;
    const full = o.name.includes('.') ? o.name : declaredNs !== undefined ? (declaredNs ? `${declaredNs}.${o.name}` : o.name) : ns ? `${ns}.${o.name}` : o.name;
    names.set(full, schema);
    names.set(full.slice(full.lastIndexOf('.') + 1), schema);
    innerNs = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
  }
  if (Array.isArray(o.fields)) for (const f of o.fields as { type: AvroSchema }[]) indexNames(f.type, names, innerNs);
  if (o.items !== undefined) indexNames(o.items as AvroSchema, names, innerNs);
  if (o.values !== undefined) indexNames(o.values as AvroSchema, names, innerNs);
  if (typeof o.type === 'object') indexNames(o.type as AvroSchema, names, innerNs);
  return names;
}

/** Follows a by-name reference; a `{type: X}` wrapper around a primitive is kept (it may carry props). */
export function resolve(schema: AvroSchema, names: NameTable): AvroSchema {
  if (typeof schema === 'string' && !PRIMITIVES.has(schema)) {
    const found = names.get(schema) ?? names.get(schema.slice(schema.lastIndexOf('.') + 1));
    if (found === undefined) throw new Error(`unknown Avro type reference ${schema}`);
    return found;
  }
  if (
    typeof schema === 'object' &&
    !Array.isArray(schema) &&
    typeof schema.type === 'string' &&
    !PRIMITIVES.has(schema.type) &&
    !['record', 'enum', 'fixed', 'array', 'map', 'error'].includes(schema.type)
  ) {
    return resolve(schema.type, names);
  }
  return schema;
}

/** `["null", T]` → T (resolved). Other unions stay unions. */
export function unwrapNullable(schema: AvroSchema, names: NameTable): AvroSchema {
  if (Array.isArray(schema)) {
    const nonNull = schema.filter((s) => s !== 'null' && !(typeof s === 'object' && !Array.isArray(s) && s.type === 'null'));
    if (nonNull.length === 1) return resolve(nonNull[0]!, names);
    return nonNull.map((s) => resolve(s, names));
  }
  return resolve(schema, names);
}

export function typeName(schema: AvroSchema): string {
  if (typeof schema === 'string') return schema;
  if (Array.isArray(schema)) return 'union';
  return typeof schema.type === 'string' ? schema.type : 'union';
}

export function prop(schema: AvroSchema, key: string): unknown {
  return typeof schema === 'object' && !Array.isArray(schema) ? schema[key] : undefined;
}

export interface AvroField {
  name: string;
  type: AvroSchema;
}

export function fieldsOf(schema: AvroSchema): AvroField[] {
  const f = prop(schema, 'fields');
  return Array.isArray(f) ? (f as AvroField[]) : [];
}
