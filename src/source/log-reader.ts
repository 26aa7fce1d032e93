/**
 * Reads one unit (a vnode's streams, or one tablet stream) of a table's CDC log for a window of
 * write times `[fromMs, toMs)`, page by page, routed to a replica of the unit's streams (the
 * routing key is the first stream id; cdc-partitioner-policy.ts turns it into the CDC token).
 * All streams of a unit share one replica set, so the IN list never fans out across nodes.
 */
import type cassandra from 'cassandra-driver';
import type { TableModel } from '../schema/table-model.js';
import { logTableName } from '../schema/table-model.js';
import type { CdcLogRow } from './core/log-row.js';
import { timeuuidBytesToMicros, timeuuidToMicros } from './core/log-row.js';
import { uuidBytes, uuidText } from '../schema/uuid-text.js';
import { InflightBytes } from './inflight-bytes.js';
import { responseBytesOf } from './response-bytes.js';
import { LOG_PROFILE } from './scylla-session.js';
import { replicaSetKey } from './cdc-partitioner-policy.js';
import { queryGroups } from './core/query-groups.js';

export interface LogPage {
  rows: CdcLogRow[];
  columns: string[];
  /** Its size on the wire (response-bytes.ts; 0 when unknown), counted in `inflight` until it is converted. */
  bytes: number;
}

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

function streamPredicate(n: number): string {
  return n === 1 ? '"cdc$stream_id" = ?' : `"cdc$stream_id" IN (${new Array(n).fill('?').join(', ')})`;
}

export function toLogRow(r: cassandra.types.Row): CdcLogRow {
  const t = r['cdc$time'] as unknown;
  const bytes = uuidBytes(t);
  const time = uuidText(t);
  const ttl = r['cdc$ttl'];
  // the driver's Row holds the columns as its own properties: used as is, not copied
  const cells = r as unknown as Record<string, unknown>;
  return {
    streamId: r['cdc$stream_id'] as Buffer,
    time,
    timeMicros: bytes ? timeuuidBytesToMicros(bytes, time) : timeuuidToMicros(time),
    seq: Number(r['cdc$batch_seq_no']),
    op: Number(r['cdc$operation']),
    ttl: ttl === null || ttl === undefined ? null : Number(String(ttl)),
    endOfBatch: r['cdc$end_of_batch'] === true,
    cells,
  };
}

export class LogReader {
  /** Replica-set key per unit (units are immutable and cached per generation, so per object). */
  private readonly unitKeys = new WeakMap<object, string | null>();

  /** Largest full page seen per log table: what a query reserves for the first page of a window. */
  private readonly fullPageBytes = new Map<string, number>();

  /** The process's uncommitted record bytes and unconverted pages: a query fetches a page only when it fits. */
  readonly inflight: InflightBytes;

  /** The client's request tracker, which learns each page's size. */
  private readonly responseBytes;

  constructor(
    private readonly client: cassandra.Client,
    private readonly fetchSize: number,
    maxInflightBytes = Number.MAX_SAFE_INTEGER,
  ) {
    this.inflight = new InflightBytes(maxInflightBytes);
    this.responseBytes = responseBytesOf(client);
  }

  /** What a page of `t`'s log is expected to take (0 until one full page was read). */
  expectedPageBytes(t: TableModel): number {
    return this.fullPageBytes.get(`${t.keyspace}.${logTableName(t.table)}`) ?? 0;
  }

  /**
   * Which units share a query (core/query-groups.ts): those whose streams have the same replicas,
   * at most `maxStreams` streams per query. A unit whose replicas are not known yet reads alone.
   */
  groups(keyspace: string, units: readonly { streams: readonly Uint8Array[] }[], maxStreams: number): number[][] {
    if (maxStreams <= 1) return units.map((_, i) => [i]);
    return queryGroups(
      units,
      (i) => {
        const u = units[i]!;
        if (this.unitKeys.has(u)) return this.unitKeys.get(u)!;
        const key = u.streams[0] ? replicaSetKey(this.client, keyspace, u.streams[0]) : null;
        if (key !== null) this.unitKeys.set(u, key);
        return key;
      },
      maxStreams,
    );
  }

  async *readWindow(t: TableModel, streams: Buffer[], fromMs: number, toMs: number): AsyncGenerator<LogPage> {
    const query =
      `SELECT * FROM ${q(t.keyspace)}.${q(logTableName(t.table))} WHERE ${streamPredicate(streams.length)}` +
      ' AND "cdc$time" >= minTimeuuid(?) AND "cdc$time" < minTimeuuid(?) BYPASS CACHE';
    const params = [...streams, new Date(fromMs), new Date(toMs)];
    let pageState: string | undefined;
    const table = `${t.keyspace}.${logTableName(t.table)}`;
    do {
      const options: cassandra.QueryOptions = {
        prepare: true,
        executionProfile: LOG_PROFILE,
        keyspace: t.keyspace,
        routingKey: streams[0],
        fetchSize: this.fetchSize,
        isIdempotent: true,
        ...(pageState ? { pageState } : {}),
      };
      const rs = await this.client.execute(query, params, options);
      const bytes = this.responseBytes.take(options);
      if (rs.rows.length >= this.fetchSize) this.fullPageBytes.set(table, Math.max(bytes, this.fullPageBytes.get(table) ?? 0));
      yield { rows: rs.rows.map(toLogRow), columns: (rs.columns ?? []).map((c) => c.name), bytes };
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }

  /** Earliest write time (ms) of any row in `[fromMs, toMs)`, or null: one row per stream. */
  async probe(t: TableModel, streams: Buffer[], fromMs: number, toMs: number): Promise<number | null> {
    const query =
      `SELECT "cdc$stream_id", "cdc$time" FROM ${q(t.keyspace)}.${q(logTableName(t.table))} WHERE ${streamPredicate(streams.length)}` +
      ' AND "cdc$time" >= minTimeuuid(?) AND "cdc$time" < minTimeuuid(?) PER PARTITION LIMIT 1 BYPASS CACHE';
    const rs = await this.client.execute(query, [...streams, new Date(fromMs), new Date(toMs)], {
      prepare: true,
      executionProfile: LOG_PROFILE,
      keyspace: t.keyspace,
      routingKey: streams[0],
      isIdempotent: true,
      fetchSize: streams.length + 1,
    });
    let min: number | null = null;
    for (const r of rs.rows) {
      const ms = timeuuidToMicros(String(r['cdc$time'])) / 1000;
      if (min === null || ms < min) min = ms;
    }
    return min;
  }
}
