// In-memory partitions with per-cell timestamps and TTLs, tombstones (partition, range, row,
// collection) and last-write-wins merging, so base-table reads and pre-/post-images follow
// Cassandra's reconciliation rules.
import type { Comparator } from '../schema/types.js';

export const NO_TS = -Number.MAX_VALUE;

export interface Cell {
  v: Buffer | null;
  ts: number;
  /** Wall-clock expiry in ms since epoch; 0 = never. */
  exp: number;
  ttl: number;
}

export interface Elem extends Cell {
  k: Buffer;
}

export interface CollCell {
  tomb: number;
  elems: Elem[];
}

export type StoredCell = Cell | CollCell;

export function isColl(c: StoredCell): c is CollCell {
  return (c as CollCell).elems !== undefined;
}

export interface Row {
  ck: Buffer[];
  mts: number;
  mexp: number;
  mttl: number;
  del: number;
  cells: (StoredCell | undefined)[];
  /** Log rows only: every column pre-encoded as protocol [bytes] in `lay` ordinal order. */
  enc?: Buffer;
  lay?: readonly number[];
  /** Log rows only: wall-clock ms before which the row is invisible (late-visibility fault). */
  vis?: number;
}

export interface Bound {
  prefix: Buffer[];
  incl: boolean;
}

export interface RangeTomb {
  start: Bound;
  end: Bound;
  ts: number;
}

export interface Partition {
  key: string;
  pk: Buffer[];
  token: bigint;
  del: number;
  ranges: RangeTomb[];
  srow: Row | null;
  rows: Row[];
}

export function newRow(ck: Buffer[]): Row {
  return { ck, mts: NO_TS, mexp: 0, mttl: 0, del: NO_TS, cells: [] };
}

export function cellLive(c: Cell, now: number): boolean {
  return c.v !== null && (c.exp === 0 || c.exp > now);
}

export class TableStore {
  readonly partitions = new Map<string, Partition>();
  private sorted: Partition[] | null = null;

  constructor(public ckCompare: (a: readonly Buffer[], b: readonly Buffer[]) => number) {}

  get(key: string): Partition | undefined {
    return this.partitions.get(key);
  }

  getOrCreate(key: string, pk: Buffer[], token: bigint): Partition {
    let p = this.partitions.get(key);
    if (!p) {
      p = { key, pk, token, del: NO_TS, ranges: [], srow: null, rows: [] };
      this.partitions.set(key, p);
      this.sorted = null;
    }
    return p;
  }

  clear(): void {
    this.partitions.clear();
    this.sorted = null;
  }

  /** Ring order: token, then key bytes (the order a token-range scan returns partitions in). */
  sortedPartitions(): Partition[] {
    if (!this.sorted) {
      this.sorted = [...this.partitions.values()].sort(comparePartitions);
    }
    return this.sorted;
  }

  /** Index of the first row whose clustering key is >= ck (binary search). */
  lowerBound(p: Partition, ck: readonly Buffer[]): number {
    let lo = 0;
    let hi = p.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ckCompare(p.rows[mid]!.ck, ck) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  findOrInsertRow(p: Partition, ck: Buffer[]): Row {
    const rows = p.rows;
    // Appends dominate (log rows arrive in time order), so check the tail first.
    if (rows.length === 0 || this.ckCompare(rows[rows.length - 1]!.ck, ck) < 0) {
      const r = newRow(ck);
      rows.push(r);
      return r;
    }
    const idx = this.lowerBound(p, ck);
    const existing = rows[idx];
    if (existing && this.ckCompare(existing.ck, ck) === 0) return existing;
    const r = newRow(ck);
    rows.splice(idx, 0, r);
    return r;
  }

  findRow(p: Partition, ck: readonly Buffer[]): Row | undefined {
    const idx = this.lowerBound(p, ck);
    const r = p.rows[idx];
    return r && this.ckCompare(r.ck, ck) === 0 ? r : undefined;
  }

  /** Inserts a pre-built row (log rows); a duplicate key replaces the old row. */
  insertRow(p: Partition, row: Row): void {
    const rows = p.rows;
    if (rows.length === 0 || this.ckCompare(rows[rows.length - 1]!.ck, row.ck) < 0) {
      rows.push(row);
      return;
    }
    const idx = this.lowerBound(p, row.ck);
    const existing = rows[idx];
    if (existing && this.ckCompare(existing.ck, row.ck) === 0) rows[idx] = row;
    else rows.splice(idx, 0, row);
  }
}

function comparePartitions(a: Partition, b: Partition): number {
  if (a.token !== b.token) return a.token < b.token ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Compares a clustering key with a bound prefix: only the prefix's columns take part. */
export function comparePrefix(cmps: readonly Comparator[], ck: readonly Buffer[], prefix: readonly Buffer[]): number {
  for (let i = 0; i < prefix.length; i++) {
    const c = cmps[i]!(ck[i]!, prefix[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

export function inRange(cmps: readonly Comparator[], ck: readonly Buffer[], rt: RangeTomb): boolean {
  if (rt.start.prefix.length > 0) {
    const c = comparePrefix(cmps, ck, rt.start.prefix);
    if (c < 0 || (c === 0 && !rt.start.incl)) return false;
  }
  if (rt.end.prefix.length > 0) {
    const c = comparePrefix(cmps, ck, rt.end.prefix);
    if (c > 0 || (c === 0 && !rt.end.incl)) return false;
  }
  return true;
}
