/**
 * A bench workload: one Scylla-shaped table and a deterministic list of changes to it.
 *
 * Every table has a `seq bigint` column that every insert/update sets to the change's global index.
 * That makes "done" checkable on any target without knowing its bookkeeping columns: the target holds
 * exactly `expectedRows` rows whose `seq` sum to `expectedSeqSum` (scenarios/common.ts).
 */
export type ColumnKind = 'partition_key' | 'clustering' | 'regular';

export interface ColumnSpec {
  name: string;
  /** CQL type text, e.g. `uuid`, `set<text>`, `map<text, int>`. */
  cql: string;
  kind: ColumnKind;
}

export type Row = Record<string, unknown>;

export interface Change {
  /** Global index, also written to the `seq` column by inserts and updates. */
  seq: number;
  op: 'c' | 'u' | 'd';
  /** Primary-key column values. */
  key: Row;
  /** Non-key columns touched by the change (all of them for an insert); null for deletes. */
  cells: Row | null;
}

export interface Workload {
  name: string;
  table: string;
  columns: ColumnSpec[];
  /** What the change stream is (one line, for the README and the JSON). */
  description: string;
  generate(n: number, seed?: number): Change[];
}

export interface ExpectedState {
  rows: number;
  seqSum: bigint;
  /** seq of the change that is visible at the end for each surviving key. */
  finalSeqs: Set<number>;
}

export function keyString(w: Workload, key: Row): string {
  return w.columns
    .filter((c) => c.kind !== 'regular')
    .map((c) => String(key[c.name]))
    .join('\u0001');
}

export function expectedState(w: Workload, changes: Change[]): ExpectedState {
  const live = new Map<string, number>();
  for (const ch of changes) {
    const k = keyString(w, ch.key);
    if (ch.op === 'd') live.delete(k);
    else live.set(k, ch.seq);
  }
  let sum = 0n;
  const finalSeqs = new Set<number>();
  for (const s of live.values()) {
    sum += BigInt(s);
    finalSeqs.add(s);
  }
  return { rows: live.size, seqSum: sum, finalSeqs };
}

/** Small deterministic PRNG (mulberry32) so a run is reproducible from `--seed`. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A v4-shaped uuid from the PRNG (deterministic, unlike crypto.randomUUID). */
export function uuidFrom(rand: () => number): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rand() * 4)]}${hex(3)}-${hex(12)}`;
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
export function word(rand: () => number): string {
  return WORDS[Math.floor(rand() * WORDS.length)]!;
}

/** A fixed base time so generated timestamps do not depend on the wall clock. */
export const BASE_TIME_MS = Date.UTC(2025, 0, 1);
