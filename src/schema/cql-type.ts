/**
 * A driver-independent model of CQL column types. The shell converts cassandra-driver metadata
 * into it (table-discovery.ts); everything downstream (Avro mapping, value conversion, log-row
 * decoding) reasons over this plain data, so it is unit-testable without a cluster.
 */

export type NativeTypeName =
  | 'ascii'
  | 'text'
  | 'varchar'
  | 'boolean'
  | 'tinyint'
  | 'smallint'
  | 'int'
  | 'bigint'
  | 'counter'
  | 'float'
  | 'double'
  | 'decimal'
  | 'varint'
  | 'blob'
  | 'uuid'
  | 'timeuuid'
  | 'timestamp'
  | 'date'
  | 'time'
  | 'inet'
  | 'duration';

export const NATIVE_TYPE_NAMES: readonly NativeTypeName[] = [
  'ascii',
  'text',
  'varchar',
  'boolean',
  'tinyint',
  'smallint',
  'int',
  'bigint',
  'counter',
  'float',
  'double',
  'decimal',
  'varint',
  'blob',
  'uuid',
  'timeuuid',
  'timestamp',
  'date',
  'time',
  'inet',
  'duration',
];

export type CqlType =
  | { kind: 'native'; name: NativeTypeName }
  | { kind: 'list'; element: CqlType; frozen: boolean }
  | { kind: 'set'; element: CqlType; frozen: boolean }
  | { kind: 'map'; key: CqlType; value: CqlType; frozen: boolean }
  | { kind: 'udt'; keyspace: string; name: string; fields: UdtField[]; frozen: boolean }
  | { kind: 'tuple'; elements: CqlType[] };

export interface UdtField {
  name: string;
  type: CqlType;
}

export const native = (name: NativeTypeName): CqlType => ({ kind: 'native', name });

/**
 * Non-frozen collections and UDTs are the only multi-cell columns: their CDC log column carries
 * deltas (added elements + `cdc$deleted_elements_X`) instead of whole values (ScyllaDB docs/features/cdc/cdc-advanced-types.rst).
 */
export function isNonFrozenMultiCell(t: CqlType): boolean {
  return (t.kind === 'list' || t.kind === 'set' || t.kind === 'map' || t.kind === 'udt') && !t.frozen;
}

/** Renders the type as CQL, e.g. `frozen<map<int, text>>`; used in docs, errors and schema fingerprints. */
export function cqlTypeToString(t: CqlType): string {
  switch (t.kind) {
    case 'native':
      return t.name;
    case 'list':
    case 'set':
      return wrapFrozen(`${t.kind}<${cqlTypeToString(t.element)}>`, t.frozen);
    case 'map':
      return wrapFrozen(`map<${cqlTypeToString(t.key)}, ${cqlTypeToString(t.value)}>`, t.frozen);
    case 'udt':
      return wrapFrozen(t.name, t.frozen);
    case 'tuple':
      return `tuple<${t.elements.map(cqlTypeToString).join(', ')}>`;
  }
}

function wrapFrozen(s: string, frozen: boolean): string {
  return frozen ? `frozen<${s}>` : s;
}

/**
 * Parses a CQL type string (`map<int, frozen<list<text>>>`) with UDTs resolved from `udts`.
 * Used by tests and fixtures; the live path builds CqlType from driver metadata directly.
 */
export function parseCqlType(input: string, udts: Record<string, UdtField[]> = {}, keyspace = ''): CqlType {
  let pos = 0;
  const src = input.trim();
  const peek = () => src[pos];
  const skipWs = () => {
    while (pos < src.length && /\s/.test(src[pos]!)) pos++;
  };
  const ident = (): string => {
    skipWs();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(pos));
    if (!m) throw new Error(`bad CQL type "${input}" at ${pos}`);
    pos += m[0].length;
    return m[0].toLowerCase();
  };
  const expect = (c: string) => {
    skipWs();
    if (src[pos] !== c) throw new Error(`bad CQL type "${input}": expected "${c}" at ${pos}`);
    pos++;
  };
  const parse = (frozen: boolean): CqlType => {
    const name = ident();
    skipWs();
    if (name === 'frozen') {
      expect('<');
      const inner = parse(true);
      expect('>');
      return inner;
    }
    if (name === 'list' || name === 'set') {
      expect('<');
      const element = parse(true);
      expect('>');
      return { kind: name, element, frozen };
    }
    if (name === 'map') {
      expect('<');
      const key = parse(true);
      expect(',');
      const value = parse(true);
      expect('>');
      return { kind: 'map', key, value, frozen };
    }
    if (name === 'tuple') {
      expect('<');
      const elements: CqlType[] = [parse(true)];
      skipWs();
      while (peek() === ',') {
        pos++;
        elements.push(parse(true));
        skipWs();
      }
      expect('>');
      return { kind: 'tuple', elements };
    }
    if ((NATIVE_TYPE_NAMES as readonly string[]).includes(name)) return native(name as NativeTypeName);
    const fields = udts[name];
    if (!fields) throw new Error(`unknown CQL type "${name}" in "${input}"`);
    return { kind: 'udt', keyspace, name, fields, frozen };
  };
  const t = parse(false);
  skipWs();
  if (pos !== src.length) throw new Error(`bad CQL type "${input}": trailing text at ${pos}`);
  return t;
}
