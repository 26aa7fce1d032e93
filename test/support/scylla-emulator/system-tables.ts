// System keyspaces the driver and CDC readers query: system.local/peers, system_schema.*,
// system_distributed CDC generation tables and the tablets-era system.cdc_* tables.
import { randomUUID } from 'node:crypto';
import { parse } from './cql/parser.js';
import type { CreateTableStmt } from './cql/ast.js';
import { cdcExtensionBlob } from './cdc/options.js';
import { optionString, type Catalog, type KeyspaceDef, type TableDef } from './schema/catalog.js';
import { typeToCql } from './schema/types.js';
import { encodeJs, uuidBytes } from './storage/js-values.js';
import { applyPartMut, rowMut, staticMut, type PartMut } from './storage/mutation.js';
import { cdcToken, murmur3Token, partitionKeyBytes } from './murmur3.js';
import { NO_TS } from './storage/table-store.js';

const LOCAL_STRATEGY: [string, string][] = [['class', 'org.apache.cassandra.locator.LocalStrategy']];

const SYSTEM_DDL: Record<string, { replication: [string, string][]; tables: string[] }> = {
  system: {
    replication: LOCAL_STRATEGY,
    tables: [
      `CREATE TABLE local (key text PRIMARY KEY, bootstrapped text, broadcast_address inet, cluster_name text, cql_version text,
        data_center text, gossip_generation int, host_id uuid, listen_address inet, native_protocol_version text, partitioner text,
        rack text, release_version text, rpc_address inet, schema_version uuid, supported_features text, tokens frozen<set<text>>,
        truncated_at frozen<map<uuid, blob>>)`,
      `CREATE TABLE peers (peer inet PRIMARY KEY, data_center text, host_id uuid, preferred_ip inet, rack text, release_version text,
        rpc_address inet, schema_version uuid, supported_features text, tokens frozen<set<text>>)`,
      `CREATE TABLE cdc_local (key text PRIMARY KEY, streams_timestamp timestamp, uuid uuid)`,
      `CREATE TABLE cdc_timestamps (keyspace_name text, table_name text, timestamp timestamp,
        PRIMARY KEY ((keyspace_name, table_name), timestamp)) WITH CLUSTERING ORDER BY (timestamp DESC)`,
      `CREATE TABLE cdc_streams (keyspace_name text, table_name text, timestamp timestamp, stream_state tinyint, stream_id blob,
        PRIMARY KEY ((keyspace_name, table_name), timestamp, stream_state, stream_id))`,
    ],
  },
  system_schema: {
    replication: LOCAL_STRATEGY,
    tables: [
      `CREATE TABLE keyspaces (keyspace_name text PRIMARY KEY, durable_writes boolean, replication frozen<map<text, text>>)`,
      `CREATE TABLE tables (keyspace_name text, table_name text, bloom_filter_fp_chance double, caching frozen<map<text, text>>,
        comment text, compaction frozen<map<text, text>>, compression frozen<map<text, text>>, crc_check_chance double,
        dclocal_read_repair_chance double, default_time_to_live int, extensions frozen<map<text, blob>>, flags frozen<set<text>>,
        gc_grace_seconds int, id uuid, max_index_interval int, memtable_flush_period_in_ms int, min_index_interval int,
        read_repair_chance double, speculative_retry text, PRIMARY KEY (keyspace_name, table_name))`,
      `CREATE TABLE columns (keyspace_name text, table_name text, column_name text, clustering_order text, column_name_bytes blob,
        kind text, position int, type text, PRIMARY KEY (keyspace_name, table_name, column_name))`,
      `CREATE TABLE dropped_columns (keyspace_name text, table_name text, column_name text, dropped_time timestamp, kind text,
        type text, PRIMARY KEY (keyspace_name, table_name, column_name))`,
      `CREATE TABLE types (keyspace_name text, type_name text, field_names frozen<list<text>>, field_types frozen<list<text>>,
        PRIMARY KEY (keyspace_name, type_name))`,
      `CREATE TABLE indexes (keyspace_name text, table_name text, index_name text, kind text, options frozen<map<text, text>>,
        PRIMARY KEY (keyspace_name, table_name, index_name))`,
      `CREATE TABLE views (keyspace_name text, view_name text, base_table_id uuid, base_table_name text, bloom_filter_fp_chance double,
        caching frozen<map<text, text>>, comment text, compaction frozen<map<text, text>>, compression frozen<map<text, text>>,
        crc_check_chance double, dclocal_read_repair_chance double, default_time_to_live int, extensions frozen<map<text, blob>>,
        gc_grace_seconds int, id uuid, include_all_columns boolean, max_index_interval int, memtable_flush_period_in_ms int,
        min_index_interval int, read_repair_chance double, speculative_retry text, where_clause text,
        PRIMARY KEY (keyspace_name, view_name))`,
      `CREATE TABLE functions (keyspace_name text, function_name text, argument_types frozen<list<text>>,
        argument_names frozen<list<text>>, body text, called_on_null_input boolean, language text, return_type text,
        PRIMARY KEY (keyspace_name, function_name, argument_types))`,
      `CREATE TABLE aggregates (keyspace_name text, aggregate_name text, argument_types frozen<list<text>>, final_func text,
        initcond text, return_type text, state_func text, state_type text, PRIMARY KEY (keyspace_name, aggregate_name, argument_types))`,
      `CREATE TABLE triggers (keyspace_name text, table_name text, trigger_name text, options frozen<map<text, text>>,
        PRIMARY KEY (keyspace_name, table_name, trigger_name))`,
      `CREATE TABLE scylla_keyspaces (keyspace_name text PRIMARY KEY, initial_tablets int, storage_options frozen<map<text, text>>,
        storage_type text)`,
      `CREATE TABLE scylla_tables (keyspace_name text, table_name text, cdc frozen<map<text, text>>, partitioner text, version uuid,
        PRIMARY KEY (keyspace_name, table_name))`,
    ],
  },
  system_distributed: {
    replication: [
      ['class', 'org.apache.cassandra.locator.SimpleStrategy'],
      ['replication_factor', '3'],
    ],
    tables: [
      `CREATE TABLE cdc_generation_timestamps (key text, time timestamp, expired timestamp, PRIMARY KEY (key, time))
        WITH CLUSTERING ORDER BY (time DESC)`,
      `CREATE TABLE cdc_streams_descriptions_v2 (time timestamp, range_end bigint, streams frozen<set<blob>>,
        PRIMARY KEY (time, range_end))`,
    ],
  },
};

export function createSystemKeyspaces(catalog: Catalog): void {
  for (const [ksName, def] of Object.entries(SYSTEM_DDL)) {
    const ks: KeyspaceDef = { name: ksName, replication: def.replication, durableWrites: true, tablets: null, tables: new Map(), types: new Map(), system: true };
    catalog.keyspaces.set(ksName, ks);
    for (const ddl of def.tables) {
      const stmt = parse(ddl).stmt as CreateTableStmt;
      const t = catalog.buildTable(stmt, ksName);
      t.system = true;
      ks.tables.set(t.name, t);
    }
  }
}

/** Writes one row with the emulator's own timestamp (no CDC, no TTL). */
export function putRow(table: TableDef, values: Record<string, unknown>, ts = Date.now() * 1000): void {
  const enc = (name: string): Buffer | null => {
    const col = table.byName.get(name);
    if (!col) throw new Error(`putRow: no column ${name} in ${table.name}`);
    return encodeJs(col.type, values[name]);
  };
  const pk = table.pk.map((c) => enc(c.name)!);
  const ck = table.ck.map((c) => enc(c.name)!);
  const pkBytes = partitionKeyBytes(pk);
  const pm: PartMut = {
    table,
    pk,
    key: pkBytes.toString('latin1'),
    token: table.partitioner === 'cdc' ? cdcToken(pkBytes) : murmur3Token(pkBytes),
    pdel: NO_TS,
    ranges: [],
    srow: null,
    rows: new Map(),
  };
  const hasRegular = table.ck.length === 0 || ck.length === table.ck.length;
  const row = hasRegular ? rowMut(pm, ck) : null;
  if (row) {
    row.mts = ts;
    row.mttl = 0;
  }
  for (const [name, v] of Object.entries(values)) {
    const col = table.byName.get(name);
    if (!col || col.kind === 'partition_key' || col.kind === 'clustering') continue;
    const target = col.kind === 'static' ? staticMut(pm) : row;
    if (!target) continue;
    target.cells.set(col.ordinal, { kind: 'a', v: encodeJs(col.type, v), ts, ttl: 0 });
  }
  applyPartMut(pm, Date.now());
}

function strategyMap(ks: KeyspaceDef): Record<string, string> {
  return Object.fromEntries(ks.replication);
}

const DEFAULT_CACHING = { keys: 'ALL', rows_per_partition: 'ALL' };
const DEFAULT_COMPACTION = { class: 'SizeTieredCompactionStrategy' };
const DEFAULT_COMPRESSION = { sstable_compression: 'org.apache.cassandra.io.compress.LZ4Compressor' };

function tableRow(t: TableDef): Record<string, unknown> {
  const opt = (name: string): string | undefined => {
    const v = t.options.get(name);
    return v ? optionString(v) : undefined;
  };
  const extensions: Record<string, Buffer> = {};
  const blob = cdcExtensionBlob(t.cdc);
  if (blob) extensions['cdc'] = blob;
  const isLog = t.base !== undefined;
  const ttl = t.base?.cdc?.ttl ?? 0;
  let compaction: Record<string, string> = DEFAULT_COMPACTION;
  if (isLog) {
    const windowMinutes = Math.max(1, Math.ceil(Math.ceil(ttl / 24) / 60));
    compaction = { class: 'TimeWindowCompactionStrategy', compaction_window_unit: 'MINUTES', compaction_window_size: String(windowMinutes) };
    if (ttl > 0) compaction['expired_sstable_check_frequency_seconds'] = String(Math.max(1, Math.floor((windowMinutes * 60) / 2)));
  }
  return {
    keyspace_name: t.keyspace,
    table_name: t.name,
    bloom_filter_fp_chance: 0.01,
    caching: isLog ? { enabled: 'false', keys: 'NONE', rows_per_partition: 'NONE' } : DEFAULT_CACHING,
    comment: isLog ? `CDC log for ${t.keyspace}.${t.base!.name}` : (opt('comment') ?? ''),
    compaction,
    compression: DEFAULT_COMPRESSION,
    crc_check_chance: 1,
    dclocal_read_repair_chance: 0,
    default_time_to_live: Number(opt('default_time_to_live') ?? 0),
    extensions,
    flags: t.compact ? ['dense'] : ['compound'],
    gc_grace_seconds: isLog && ttl > 0 ? 0 : Number(opt('gc_grace_seconds') ?? 864000),
    id: t.id,
    max_index_interval: 2048,
    memtable_flush_period_in_ms: 0,
    min_index_interval: 128,
    read_repair_chance: 0,
    speculative_retry: '99.0PERCENTILE',
  };
}

/** Rebuilds system_schema.* from the catalog (called after every DDL). */
export function refreshSchemaTables(catalog: Catalog): void {
  const ss = catalog.keyspace('system_schema');
  for (const t of ss.tables.values()) t.store.clear();
  const tbl = (n: string): TableDef => ss.tables.get(n)!;
  for (const ks of catalog.keyspaces.values()) {
    putRow(tbl('keyspaces'), { keyspace_name: ks.name, durable_writes: ks.durableWrites, replication: strategyMap(ks) });
    putRow(tbl('scylla_keyspaces'), {
      keyspace_name: ks.name,
      initial_tablets: ks.tablets ? ks.tablets.initial : null,
      storage_type: 'LOCAL',
      storage_options: {},
    });
    for (const u of ks.types.values()) {
      putRow(tbl('types'), { keyspace_name: ks.name, type_name: u.name, field_names: u.fieldNames, field_types: u.fieldTypes.map(typeToCql) });
    }
    for (const t of ks.tables.values()) {
      putRow(tbl('tables'), tableRow(t));
      putRow(tbl('scylla_tables'), {
        keyspace_name: ks.name,
        table_name: t.name,
        version: randomUUID(),
        partitioner: t.partitioner === 'cdc' ? 'com.scylladb.dht.CDCPartitioner' : null,
        // Always null: since 4.0 the options live only in system_schema.tables.extensions['cdc'].
        cdc: null,
      });
      for (const c of t.columns) {
        putRow(tbl('columns'), {
          keyspace_name: ks.name,
          table_name: t.name,
          column_name: c.name,
          clustering_order: c.kind === 'clustering' ? (c.desc ? 'desc' : 'asc') : 'none',
          column_name_bytes: Buffer.from(c.name),
          kind: c.kind,
          position: c.kind === 'partition_key' || c.kind === 'clustering' ? c.position : -1,
          type: typeToCql(c.type),
        });
      }
      for (const d of t.dropped) {
        putRow(tbl('dropped_columns'), {
          keyspace_name: ks.name,
          table_name: t.name,
          column_name: d.name,
          dropped_time: d.time,
          kind: d.kind,
          type: typeToCql(d.type),
        });
      }
    }
  }
}

export interface LocalInfo {
  hostId: string;
  tokens: string[];
  address: string;
}

export function writeLocalRows(catalog: Catalog, info: LocalInfo): void {
  const local = catalog.findTable('system', 'local')!;
  putRow(local, {
    key: 'local',
    bootstrapped: 'COMPLETED',
    broadcast_address: info.address,
    cluster_name: 'scylla-emulator',
    cql_version: '3.3.1',
    data_center: 'datacenter1',
    gossip_generation: Math.floor(Date.now() / 1000),
    host_id: info.hostId,
    listen_address: info.address,
    native_protocol_version: '4',
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    rack: 'rack1',
    release_version: '3.0.8',
    rpc_address: info.address,
    schema_version: catalog.schemaVersion,
    supported_features: 'CDC,CDC_GENERATIONS_V2,TABLETS',
    tokens: info.tokens,
    truncated_at: null,
  });
}

export { uuidBytes };
