// Tablets-mode CDC: one stream per tablet per table, new stream sets on split/merge, published in
// system.cdc_timestamps / system.cdc_streams (scylladb cdc/generation.cc generate_tablet_resize_update,
// cdc/metadata.cc get_tablet_stream_set). Closed streams are only listed in system.cdc_streams:
// upstream log tables have no cdc$closed_time column (test/boost/cdc_test.cc test_cdc_log_schema).
import { invalid, serverError } from '../errors.js';
import type { Prng } from '../prng.js';
import type { Catalog, TableDef } from '../schema/catalog.js';
import { DerivedStore } from '../storage/derived-store.js';
import { cdcStreamsSource, cdcTimestampsSource, type TableStreamSets } from './tablet-rows.js';
import { makeStreamId, MAX_TOKEN, MIN_TOKEN } from './streams.js';
import { futureWriteError, GENERATION_LEEWAY_MS } from './leeway.js';

export interface Tablet {
  last: bigint;
  stream: Buffer;
}

export interface StreamSet {
  ts: number;
  tablets: Tablet[];
}

export { STREAM_STATE } from './tablet-rows.js';

export class TabletStreams {
  private readonly sets = new Map<string, StreamSet[]>();
  /** The keyspace and table name each stream set list was published under (kept after a DROP, as the rows were). */
  private readonly names = new Map<string, { keyspace: string; table: string }>();
  /** Newest write timestamp (ms, fractional) logged per table: a new stream set starts after it. */
  private readonly lastWriteMs = new Map<string, number>();

  constructor(
    private readonly catalog: Catalog,
    private readonly rng: Prng,
  ) {
    // Derived when read, nothing stored per stream (tablet-rows.ts).
    const all = (): TableStreamSets[] => [...this.sets].map(([id, sets]) => ({ ...this.names.get(id)!, sets }));
    const ts = catalog.findTable('system', 'cdc_timestamps')!;
    ts.store = new DerivedStore(ts.store.ckCompare, cdcTimestampsSource(ts, all));
    const st = catalog.findTable('system', 'cdc_streams')!;
    st.store = new DerivedStore(st.store.ckCompare, cdcStreamsSource(st, all));
  }

  has(base: TableDef): boolean {
    return this.sets.has(base.id);
  }

  streamSets(base: TableDef): StreamSet[] {
    return this.sets.get(base.id) ?? [];
  }

  enable(base: TableDef, tabletCount: number, nowMs: number): void {
    if (this.sets.has(base.id)) return;
    const lasts = evenBoundaries(tabletCount);
    // The first stream set is dated generation_leeway before the log table's creation
    // (scylladb cdc/log.cc on_before_allocate_tablet_map), so writes in the near past find it.
    this.publish(base, { ts: nowMs - GENERATION_LEEWAY_MS, tablets: lasts.map((last) => this.tablet(last)) });
  }

  private tablet(last: bigint): Tablet {
    return { last, stream: makeStreamId(last, 0, this.rng) };
  }

  split(base: TableDef, nowMs: number, delayMs: number): StreamSet {
    const cur = this.current(base);
    const tablets: Tablet[] = [];
    let prev = MIN_TOKEN;
    for (const t of cur.tablets) {
      const mid = prev + (t.last - prev) / 2n;
      tablets.push(this.tablet(mid), this.tablet(t.last));
      prev = t.last;
    }
    return this.publish(base, { ts: this.nextStart(base, cur, nowMs + delayMs), tablets });
  }

  merge(base: TableDef, nowMs: number, delayMs: number): StreamSet {
    const cur = this.current(base);
    if (cur.tablets.length < 2) throw serverError('cannot merge a table with a single tablet');
    const tablets: Tablet[] = [];
    for (let i = 0; i < cur.tablets.length; i += 2) {
      const b = cur.tablets[i + 1] ?? cur.tablets[i]!;
      tablets.push(this.tablet(b.last));
    }
    return this.publish(base, { ts: this.nextStart(base, cur, nowMs + delayMs), tablets });
  }

  /**
   * A new set's start: `atMs`, but after the current set's and after every write already logged
   * in the table. A write logged in the old set at or after the new start would be in neither
   * set's [start, next start): readers that read each set only within its bounds (the documented
   * way) would never see it. ScyllaDB avoids it by dating the set now + 2 × ring_delay +
   * generation_leeway (cdc/generation.cc new_generation_timestamp), past any write it accepts
   * (at most generation_leeway ahead); a split "now" (delay 0, ring_delay 0) raced with a write
   * logged in the same millisecond (seen as a change lost by source-generations.test.ts).
   */
  private nextStart(base: TableDef, cur: StreamSet, atMs: number): number {
    const last = this.lastWriteMs.get(base.id);
    return Math.max(atMs, cur.ts + 1, last === undefined ? -Infinity : Math.floor(last) + 1);
  }

  private current(base: TableDef): StreamSet {
    const sets = this.sets.get(base.id);
    if (!sets || sets.length === 0) throw serverError(`table ${base.keyspace}.${base.name} has no CDC stream set`);
    return sets[sets.length - 1]!;
  }

  private publish(base: TableDef, set: StreamSet): StreamSet {
    const list = this.sets.get(base.id) ?? [];
    list.push(set);
    this.sets.set(base.id, list);
    this.names.set(base.id, { keyspace: base.keyspace, table: base.name });
    this.catalog.findTable('system', 'cdc_streams')!.store.clear();
    this.catalog.findTable('system', 'cdc_timestamps')!.store.clear();
    return set;
  }

  /**
   * Streams that also receive a write near a stream-set switch: the token's stream in the set
   * before (write within `windowMs` after the switch) or after it (within `windowMs` before).
   * A pessimistic model of a switch, not something found in ScyllaDB's code (see the README).
   */
  duplicateStreams(base: TableDef, token: bigint, tsMicros: number, windowMs: number): Buffer[] {
    const sets = this.sets.get(base.id);
    if (!sets || windowMs <= 0) return [];
    const ts = tsMicros / 1000;
    let g = -1;
    while (g + 1 < sets.length && sets[g + 1]!.ts <= ts) g++;
    if (g < 0) return [];
    const own = streamIn(sets[g]!.tablets, token);
    const out: Buffer[] = [];
    if (g + 1 < sets.length && sets[g + 1]!.ts - ts <= windowMs) out.push(streamIn(sets[g + 1]!.tablets, token));
    if (g > 0 && ts - sets[g]!.ts < windowMs) out.push(streamIn(sets[g - 1]!.tablets, token));
    return out.filter((s) => !s.equals(own));
  }

  /** cdc::metadata::get_tablet_stream_set: refuses writes beyond now + leeway, then the latest set at or before ts. */
  streamFor(base: TableDef, token: bigint, tsMicros: number, nowMs: number): Buffer {
    const sets = this.sets.get(base.id);
    const ts = tsMicros / 1000;
    if (ts > nowMs + GENERATION_LEEWAY_MS) throw invalid(futureWriteError(ts, nowMs));
    if (!sets || sets.length === 0) throw serverError(`cdc::metadata::get_stream: could not find stream metadata for table ${base.log?.id ?? base.id}.`);
    if (ts < sets[0]!.ts) {
      throw serverError(`cdc::metadata::get_stream: could not find any CDC streams for table ${base.log?.id ?? base.id} for timestamp ${tsMicros}.`);
    }
    let g = 0;
    while (g + 1 < sets.length && sets[g + 1]!.ts <= ts) g++;
    if (ts > (this.lastWriteMs.get(base.id) ?? -Infinity)) this.lastWriteMs.set(base.id, ts);
    return streamIn(sets[g]!.tablets, token);
  }
}

/** The stream of the tablet owning `token` (tablets sorted by last token). */
function streamIn(tablets: Tablet[], token: bigint): Buffer {
  let lo = 0;
  let hi = tablets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tablets[mid]!.last < token) lo = mid + 1;
    else hi = mid;
  }
  return tablets[lo]!.stream;
}

function evenBoundaries(n: number): bigint[] {
  const out: bigint[] = [];
  const span = (1n << 64n) / BigInt(n);
  for (let i = 1; i < n; i++) out.push(MIN_TOKEN + span * BigInt(i) - 1n);
  out.push(MAX_TOKEN);
  return out;
}
