/**
 * Watching a group of sink processes from the bench: each one's /status (what it holds, what it
 * applied) and /metrics, and the group's stored offsets in PostgreSQL sampled every 100 ms (what the
 * group committed, whoever did it: the pauses are computed from these, rebalance-pauses.ts).
 */
import type { BenchChild } from './procs.js';
import { pgClient, qi } from './pg.js';
import { metricSum, total } from './metrics-scrape.js';
import type { OffsetSample } from './rebalance-pauses.js';
import { sleep } from './util.js';

export interface GroupMember {
  name: string;
  child: BenchChild;
  port: number;
}

interface SinkStatus {
  assigned: { topic: string; partition: number }[];
}

async function status(m: GroupMember): Promise<SinkStatus | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${m.port}/status`);
    return res.ok ? ((await res.json()) as SinkStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `members` hold every partition of `topic` exactly once between them, each at least one. */
export async function settled(members: GroupMember[], topic: string, partitions: number): Promise<boolean> {
  const held: number[] = [];
  for (const m of members) {
    const mine = (await status(m))?.assigned.filter((a) => a.topic === topic) ?? [];
    if (mine.length === 0) return false;
    held.push(...mine.map((a) => a.partition));
  }
  return held.length === partitions && new Set(held).size === partitions;
}

/** Waits until `settled`; throws when a member exits or after `timeoutMs`. */
export async function waitSettled(members: GroupMember[], topic: string, partitions: number, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await settled(members, topic, partitions))) {
    const dead = members.find((m) => !m.child.running);
    if (dead) throw new Error(`${dead.name} exited with code ${dead.child.exitCode}`);
    if (performance.now() > until) throw new Error(`the group did not settle on ${members.map((m) => m.name).join(', ')} within ${timeoutMs / 1000}s`);
    await sleep(100);
  }
}

/** Changes the process committed to PostgreSQL since it started (`cdc_records_replicated_total`). */
export async function appliedBy(m: GroupMember): Promise<number> {
  return total(await metricSum(m.port, 'cdc_records_replicated_total'));
}

export interface OffsetSampler {
  readonly samples: OffsetSample[];
  /** Sum of the latest sample. */
  committed(): number;
  stop(): Promise<void>;
}

/** Samples the group's stored offsets of `topic` every `everyMs` (t = performance.now()). */
export async function sampleOffsets(schema: string, group: string, topic: string, partitions: number, everyMs = 100): Promise<OffsetSampler> {
  const c = pgClient();
  await c.connect();
  const samples: OffsetSample[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const offsets = new Array<number>(partitions).fill(0);
      try {
        const r = await c.query<{ partition: number; next: string | null }>(
          `SELECT partition, next_offset::text AS next FROM ${qi(schema)}._cdc_offsets WHERE group_id = $1 AND topic = $2`,
          [group, topic],
        );
        for (const row of r.rows) offsets[row.partition] = Number(row.next ?? 0);
        samples.push({ t: performance.now(), offsets });
      } catch {
        // _cdc_offsets does not exist until the first sink created it
      }
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    committed: () => (samples.length === 0 ? 0 : samples[samples.length - 1]!.offsets.reduce((a, b) => a + b, 0)),
    async stop() {
      stopping = true;
      await loop;
      await c.end().catch(() => undefined);
    },
  };
}
