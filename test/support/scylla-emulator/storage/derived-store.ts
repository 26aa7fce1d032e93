// A table whose partitions are computed when read instead of stored, as ScyllaDB's own virtual
// tables are (db/virtual_tables.cc `cdc_streams_table`): the CDC stream descriptions of a large
// ring would otherwise hold a row per vnode range and a blob per stream for as long as the
// emulator runs. The last partitions read are kept for a short while, because a reader pages
// through one partition with many requests; they are dropped when idle.
import { NO_TS, TableStore, type Partition, type Row } from './table-store.js';

export interface DerivedSource {
  /** Every partition key (latin1 key → token), in no particular order. */
  keys(): Map<string, { pk: Buffer[]; token: bigint }>;
  /** The rows of one partition (the store sorts them in clustering order); null if the key does not exist. */
  rows(key: string): Row[] | null;
}

const KEEP_MS = 10_000;
const KEEP_PARTITIONS = 2;

export class DerivedStore extends TableStore {
  private readonly kept = new Map<string, Partition>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    ckCompare: (a: readonly Buffer[], b: readonly Buffer[]) => number,
    private readonly source: DerivedSource,
  ) {
    super(ckCompare);
  }

  override get(key: string): Partition | undefined {
    const hit = this.kept.get(key);
    if (hit) {
      this.kept.delete(key);
      this.kept.set(key, hit);
      this.touch();
      return hit;
    }
    const meta = this.source.keys().get(key);
    if (!meta) return undefined;
    const rows = this.source.rows(key);
    if (!rows) return undefined;
    rows.sort((a, b) => this.ckCompare(a.ck, b.ck));
    const p: Partition = { key, pk: meta.pk, token: meta.token, del: NO_TS, ranges: [], srow: null, rows };
    this.kept.set(key, p);
    while (this.kept.size > KEEP_PARTITIONS) this.kept.delete(this.kept.keys().next().value!);
    this.touch();
    return p;
  }

  override sortedPartitions(): Partition[] {
    const out: Partition[] = [];
    for (const key of this.source.keys().keys()) {
      const p = this.get(key);
      if (p) out.push(p);
    }
    return out.sort((a, b) => (a.token !== b.token ? (a.token < b.token ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  override getOrCreate(): Partition {
    throw new Error('a derived table is read-only');
  }

  /** Forgets what was computed (the source changed). */
  override clear(): void {
    this.kept.clear();
  }

  private touch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.kept.clear();
      this.timer = null;
    }, KEEP_MS);
    this.timer.unref();
  }
}
