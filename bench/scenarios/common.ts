import type pg from 'pg';
import type { ExpectedState, Workload } from '../workloads/types.js';
import type { BenchChild } from '../lib/procs.js';
import { isDone, pgClient, qi, readProgress, type TargetProgress } from '../lib/pg.js';
import { log, sleep } from '../lib/util.js';

export interface WaitResult {
  completed: boolean;
  reason: string;
  /** performance.now() when the first row was visible */
  firstAt: number | null;
  /** rows visible at firstAt (the first batch, applied before the first observation) */
  firstRows: number;
  doneAt: number | null;
  last: TargetProgress;
  /** seq → first time (epoch ms) the row carrying it was seen; only when trackLatency */
  seenAtMs: Map<number, number>;
}

/**
 * Polls the target table until it holds exactly the expected rows (count and sum(seq)), the child
 * exits, or nothing moved for stallMs. With trackLatency, also records when each seq first became
 * visible (an index on seq keeps the poll cheap; it is created as soon as the table exists).
 */
export async function waitForTarget(o: {
  schema: string;
  table: string;
  expected: ExpectedState;
  /** read at every poll: the recovery scenario swaps a killed child for its replacement in place */
  children: BenchChild[];
  stallMs: number;
  pollMs: number;
  trackLatency?: boolean;
  /** filled while polling (with trackLatency), so a caller can follow the lag live */
  seen?: Map<number, number>;
  label: string;
  /** called once, when the first row is visible (the bench's CPU snapshot of the steady interval) */
  onFirst?: () => void;
}): Promise<WaitResult> {
  const c: pg.Client = pgClient();
  await c.connect();
  const seen = o.seen ?? new Map<number, number>();
  const finals = [...o.expected.finalSeqs].sort((a, b) => a - b);
  let floorIdx = 0;
  let indexed = false;
  let firstAt: number | null = null;
  let firstRows = 0;
  let lastChange = performance.now();
  let last: TargetProgress = { exists: false, rows: 0, seqSum: 0n };
  let lastLog = 0;
  try {
    for (;;) {
      const p = await readProgress(c, o.schema, o.table);
      const now = performance.now();
      if (p.rows !== last.rows || p.seqSum !== last.seqSum) lastChange = now;
      if (firstAt === null && p.rows > 0) {
        firstAt = now;
        firstRows = p.rows;
        o.onFirst?.();
      }
      last = p;
      if (o.trackLatency && p.exists) {
        if (!indexed) {
          await c.query(`CREATE INDEX IF NOT EXISTS bench_seq_idx ON ${qi(o.schema)}.${qi(o.table)} (seq)`);
          indexed = true;
        }
        const floor = finals[floorIdx] ?? Number.MAX_SAFE_INTEGER;
        const r = await c.query<{ seq: string }>(`SELECT seq::text FROM ${qi(o.schema)}.${qi(o.table)} WHERE seq >= $1`, [floor]);
        const t = Date.now();
        for (const row of r.rows) {
          const s = Number(row.seq);
          if (!seen.has(s)) seen.set(s, t);
        }
        while (floorIdx < finals.length && seen.has(finals[floorIdx]!)) floorIdx++;
      }
      if (isDone(p, o.expected)) return { completed: true, reason: 'all rows applied', firstAt, firstRows, doneAt: now, last: p, seenAtMs: seen };
      if (now - lastLog > 5000) {
        log(`${o.label}: ${p.rows}/${o.expected.rows} rows`);
        lastLog = now;
      }
      const dead = o.children.find((ch) => !ch.running);
      if (dead) return { completed: false, reason: `${dead.name} exited with code ${dead.exitCode}`, firstAt, firstRows, doneAt: null, last: p, seenAtMs: seen };
      if (now - lastChange > o.stallMs) return { completed: false, reason: `no progress for ${o.stallMs / 1000}s`, firstAt, firstRows, doneAt: null, last: p, seenAtMs: seen };
      await sleep(o.pollMs);
    }
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function targetTableOf(w: Workload): string {
  return w.table;
}

/**
 * Waits until a child answers its readiness check on its metrics port: the source's /readyz is 200
 * once every slot streams; the sink's /status lists `partitions` assigned partitions. Latency is
 * a steady-state figure: writes that wait for a process still starting would measure its start-up.
 */
export async function waitUntilReady(o: { child: BenchChild; port: number; kind: 'source' | 'sink'; partitions: number; timeoutMs: number }): Promise<void> {
  const until = Date.now() + o.timeoutMs;
  const base = `http://127.0.0.1:${o.port}`;
  for (;;) {
    if (!o.child.running) throw new Error(`${o.kind} exited ${o.child.exitCode} before it was ready`);
    if (o.kind === 'source') {
      if ((await fetch(`${base}/readyz`).catch(() => null))?.status === 200) return;
    } else {
      const status = (await fetch(`${base}/status`)
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null)) as { assigned?: unknown[] } | null;
      if ((status?.assigned?.length ?? 0) >= o.partitions) return;
    }
    if (Date.now() > until) throw new Error(`${o.kind} not ready after ${o.timeoutMs / 1000}s`);
    await sleep(200);
  }
}
