/**
 * Reads the stream sets the log is written to (ScyllaDB docs/features/cdc/cdc-stream-changes.rst):
 * - vnode keyspaces: cluster-wide generations in `system_distributed.cdc_generation_timestamps`
 *   and `cdc_streams_descriptions_v2` (one row per vnode range: range_end + its shard streams);
 * - tablets keyspaces: per-table stream sets in `system.cdc_timestamps` / `system.cdc_streams`
 *   (state 0 = the full set current at that timestamp; one stream per tablet).
 * A generation's streams are read only after its timestamp is visible (the streams rows are
 * written first and may be partial before that). Stream lists are immutable, so they are cached.
 */
import type cassandra from 'cassandra-driver';
import type { Generation, StreamUnit } from './core/generation-plan.js';
import { generationIntervals } from './core/generation-plan.js';
import { streamToken } from './core/log-row.js';
import type { KeyspaceMode } from './table-discovery.js';

export class GenerationReader {
  private readonly units = new Map<string, StreamUnit[]>();

  constructor(
    private readonly client: cassandra.Client,
    private readonly consistency: () => Promise<cassandra.types.consistencies>,
  ) {}

  /** All generations (oldest first) with their units; for tablets, of one table. */
  async list(mode: KeyspaceMode, keyspace: string, table: string): Promise<Generation[]> {
    const consistency = await this.consistency();
    const times =
      mode === 'vnodes'
        ? await this.client.execute("SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'", [], { consistency, prepare: true })
        : await this.client.execute('SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = ? AND table_name = ?', [keyspace, table], { consistency, prepare: true });
    const starts = times.rows.map((r) => (r.get(0) as Date).getTime());
    const out: Generation[] = [];
    for (const g of generationIntervals(starts)) {
      out.push({ ...g, units: await this.unitsOf(mode, keyspace, table, g.startMs, consistency) });
    }
    return out;
  }

  private async unitsOf(mode: KeyspaceMode, keyspace: string, table: string, startMs: number, consistency: cassandra.types.consistencies): Promise<StreamUnit[]> {
    const cacheKey = mode === 'vnodes' ? `v:${startMs}` : `t:${keyspace}.${table}:${startMs}`;
    const cached = this.units.get(cacheKey);
    if (cached) return cached;
    let units: StreamUnit[];
    if (mode === 'vnodes') {
      const rows = await this.fetchAll('SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [new Date(startMs)], consistency);
      units = rows.map((r) => ({
        rangeEnd: BigInt(String(r.get('range_end'))),
        streams: [...((r.get('streams') as Iterable<Buffer> | null) ?? [])].sort(Buffer.compare),
      }));
    } else {
      const rows = await this.fetchAll(
        'SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = ? AND table_name = ? AND timestamp = ? AND stream_state = ?',
        [keyspace, table, new Date(startMs), 0],
        consistency,
      );
      // A tablet stream's token is the tablet's last token: it bounds the base range it carries.
      units = rows.map((r) => {
        const id = r.get('stream_id') as Buffer;
        return { rangeEnd: streamToken(id), streams: [id] };
      });
    }
    units.sort((a, b) => (a.rangeEnd < b.rangeEnd ? -1 : a.rangeEnd > b.rangeEnd ? 1 : 0));
    if (units.length > 0) this.units.set(cacheKey, units);
    return units;
  }

  private async fetchAll(query: string, params: unknown[], consistency: cassandra.types.consistencies): Promise<cassandra.types.Row[]> {
    const rows: cassandra.types.Row[] = [];
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(query, params, { consistency, prepare: true, fetchSize: 1000, ...(pageState ? { pageState } : {}) });
      rows.push(...rs.rows);
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return rows;
  }
}
