/**
 * Discovers each configured table through the driver's schema metadata: columns, CQL types,
 * keys, clustering order, CDC options (`extensions['cdc']`) and whether the keyspace uses
 * vnodes or tablets. A missing table, or one without CDC, is a configuration error: start-up
 * stops with exit code 2 and names the table.
 */
import cassandra from 'cassandra-driver';
import type { CqlType, NativeTypeName, UdtField } from '../schema/cql-type.js';
import { NATIVE_TYPE_NAMES } from '../schema/cql-type.js';
import type { ColumnModel, TableModel } from '../schema/table-model.js';
import { excludeColumns } from '../schema/exclude-columns.js';
import { decodeCdcExtension } from '../schema/table-model.js';

export type KeyspaceMode = 'vnodes' | 'tablets';

export class TableSetupError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'TableSetupError';
  }
}

interface DriverType {
  code: number;
  info?: unknown;
  options?: { frozen?: boolean; reversed?: boolean };
}

const CODE_TO_NATIVE = new Map<number, NativeTypeName>();
for (const name of NATIVE_TYPE_NAMES) {
  const code = (cassandra.types.dataTypes as unknown as Record<string, number>)[name];
  if (code !== undefined && !CODE_TO_NATIVE.has(code)) CODE_TO_NATIVE.set(code, name);
}
const CUSTOM_NATIVE: Record<string, NativeTypeName> = {
  'org.apache.cassandra.db.marshal.DurationType': 'duration',
};

/** Driver type info → CqlType. `frozen` comes from the driver's `options.frozen`. */
export function driverTypeToCql(t: DriverType, frozenContext = false): CqlType {
  const d = cassandra.types.dataTypes;
  const frozen = frozenContext || t.options?.frozen === true;
  switch (t.code) {
    case d.list:
      return { kind: 'list', element: driverTypeToCql(t.info as DriverType, true), frozen };
    case d.set:
      return { kind: 'set', element: driverTypeToCql(t.info as DriverType, true), frozen };
    case d.map: {
      const [k, v] = t.info as [DriverType, DriverType];
      return { kind: 'map', key: driverTypeToCql(k, true), value: driverTypeToCql(v, true), frozen };
    }
    case d.udt: {
      const info = t.info as { keyspace?: string; name: string; fields: { name: string; type: DriverType }[] };
      const fields: UdtField[] = info.fields.map((f) => ({ name: f.name, type: driverTypeToCql(f.type, true) }));
      return { kind: 'udt', keyspace: info.keyspace ?? '', name: info.name, fields, frozen };
    }
    case d.tuple:
      return { kind: 'tuple', elements: (t.info as DriverType[]).map((e) => driverTypeToCql(e, true)) };
    case d.custom: {
      const name = CUSTOM_NATIVE[String(t.info)];
      if (name) return { kind: 'native', name };
      throw new Error(`unsupported custom type ${String(t.info)}`);
    }
    default: {
      const name = CODE_TO_NATIVE.get(t.code);
      if (!name) throw new Error(`unsupported CQL type code ${t.code}`);
      return { kind: 'native', name };
    }
  }
}

interface DriverColumn {
  name: string;
  type: DriverType;
  isStatic?: boolean;
}

interface DriverTable {
  columns: DriverColumn[];
  partitionKeys: DriverColumn[];
  clusteringKeys: DriverColumn[];
  clusteringOrder: string[];
  extensions?: Record<string, Buffer> | null;
}

/** Drops the driver's cached definition so the next read sees ALTER TABLE (no push event needed). */
function forgetCachedTable(client: cassandra.Client, keyspace: string, table: string): void {
  const ks = (client.metadata as unknown as { keyspaces?: Record<string, { tables?: Record<string, unknown>; udts?: Record<string, unknown> }> }).keyspaces?.[keyspace];
  if (ks?.tables) delete ks.tables[table];
  if (ks?.udts) for (const k of Object.keys(ks.udts)) delete ks.udts[k];
}

export async function discoverTable(client: cassandra.Client, qualified: string, opts: { refresh?: boolean; exclude?: readonly string[] } = {}): Promise<TableModel> {
  const found = excludeColumns(await discoverWholeTable(client, qualified, opts.refresh === true), opts.exclude ?? []);
  if ('problem' in found) throw new TableSetupError(found.problem);
  return found.model;
}

async function discoverWholeTable(client: cassandra.Client, qualified: string, refresh: boolean): Promise<TableModel> {
  const [keyspace, table] = qualified.split('.') as [string, string];
  if (refresh) forgetCachedTable(client, keyspace, table);
  const meta = (await client.metadata.getTable(keyspace, table)) as unknown as DriverTable | null;
  if (!meta) throw new TableSetupError(`SCYLLA_TABLES: table ${qualified} does not exist`);
  const pkNames = new Set(meta.partitionKeys.map((c) => c.name));
  const ckNames = new Set(meta.clusteringKeys.map((c) => c.name));
  const columns: ColumnModel[] = [];
  const push = (c: DriverColumn, kind: ColumnModel['kind']) => columns.push({ name: c.name, type: driverTypeToCql(c.type), kind });
  for (const c of meta.partitionKeys) push(c, 'partition_key');
  for (const c of meta.clusteringKeys) push(c, 'clustering');
  for (const c of meta.columns) {
    if (pkNames.has(c.name) || ckNames.has(c.name)) continue;
    push(c, c.isStatic ? 'static' : 'regular');
  }
  let ext: Uint8Array | undefined = meta.extensions?.['cdc'];
  if (!ext) {
    // some driver/server combinations do not surface extensions in table metadata: ask directly
    const rs = await client.execute('SELECT extensions FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, table]);
    const m = rs.first()?.get('extensions') as Map<string, Buffer> | Record<string, Buffer> | null | undefined;
    ext = m instanceof Map ? m.get('cdc') : m?.['cdc'];
  }
  const cdc = decodeCdcExtension(ext);
  if (!cdc?.enabled) throw new TableSetupError(`SCYLLA_TABLES: table ${qualified} does not have CDC enabled (ALTER TABLE ${qualified} WITH cdc = {'enabled': true})`);
  return {
    keyspace,
    table,
    columns,
    partitionKey: meta.partitionKeys.map((c) => c.name),
    clusteringKey: meta.clusteringKeys.map((c) => c.name),
    clusteringOrder: meta.clusteringOrder.map((o) => (String(o).toUpperCase() === 'DESC' ? 'DESC' : 'ASC')),
    cdc,
  };
}

/** Tablets keyspaces have `initial_tablets` set; a missing table means an old Scylla (vnodes only). */
export async function detectKeyspaceMode(client: cassandra.Client, keyspace: string): Promise<KeyspaceMode> {
  try {
    const rs = await client.execute('SELECT initial_tablets FROM system_schema.scylla_keyspaces WHERE keyspace_name = ?', [keyspace]);
    const row = rs.first();
    return row && row.get('initial_tablets') !== null && row.get('initial_tablets') !== undefined ? 'tablets' : 'vnodes';
  } catch {
    return 'vnodes';
  }
}

/** A configured table as discovery found it. */
export interface DiscoveredTable {
  name: string;
  model: TableModel;
  mode: KeyspaceMode;
}

/** Discovers every configured table, in order; the first that fails ends it (TableSetupError: exit 2). */
export async function discoverTables(client: cassandra.Client, names: readonly string[], exclude: readonly string[]): Promise<DiscoveredTable[]> {
  const out: DiscoveredTable[] = [];
  for (const name of names) {
    const model = await discoverTable(client, name, { exclude });
    out.push({ name, model, mode: await detectKeyspaceMode(client, model.keyspace) });
  }
  return out;
}
