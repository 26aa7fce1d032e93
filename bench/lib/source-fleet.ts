/**
 * N source processes of one deployment (same SOURCE_NAME, so one slot group), each a real OS
 * process with its own metrics port, started together and stopped together. The scenario reads
 * them from outside: /status for the slots each holds, /metrics for queries and records, /proc
 * for CPU and memory.
 */
import type { BenchChild } from './procs.js';
import { cpuSeconds, metricSum, slotStatus, total, waitFor } from './topology-probes.js';
import { freePort } from '../../test/helpers/free-port.js';
import { round, sleep } from './util.js';

export interface FleetMember {
  name: string;
  metricsPort: number;
  /** the running process (the latest start); null before the first */
  child: BenchChild | null;
  /** largest peak RSS of this member over every start (MiB) */
  peakRssMb: number;
}

/** When every slot was held by exactly one process and every process was ready, and who held what. */
export interface SlotSpread {
  secondsToAllStreaming: number;
  slotsPerProcess: Record<string, number[]>;
}

export class SourceFleet {
  readonly members: FleetMember[] = [];

  private constructor(
    private readonly spawn: (name: string, env: Record<string, string>) => BenchChild,
    private readonly env: Record<string, string>,
  ) {}

  static async create(n: number, spawn: (name: string, env: Record<string, string>) => BenchChild, env: Record<string, string>): Promise<SourceFleet> {
    const f = new SourceFleet(spawn, env);
    for (let i = 1; i <= n; i++) f.members.push({ name: n === 1 ? 'source' : `source-${i}`, metricsPort: await freePort(), child: null, peakRssMb: 0 });
    return f;
  }

  /** Spawns every member at once (`run` names the log files apart: source-2.log, source-2-restart.log). */
  start(run: '' | 'restart'): void {
    for (const m of this.members) m.child = this.spawn(run ? `${m.name}-${run}` : m.name, { ...this.env, METRICS_PORT: String(m.metricsPort) });
  }

  /** Rejects when a member has exited (a crash must end the measurement, not stall it). */
  checkAlive(): void {
    const dead = this.members.find((m) => m.child && !m.child.running);
    if (dead) throw new Error(`${dead.name} exited ${dead.child!.exitCode}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.child?.stop()));
    for (const m of this.members) if (m.child) m.peakRssMb = Math.max(m.peakRssMb, m.child.memory().peakRssMb);
  }

  /**
   * Polls every member's /status until the union of their assignments is every slot, no slot is
   * held twice, and every member is ready (each of its slots streams the table), and that has held
   * with the same assignment for `stableMs`: members that start together join the group one after
   * the other, and each join moves slots again (seen: a complete, ready assignment that a later
   * rebalance changed). The time reported is when that stable state began.
   */
  async allSlotsStreaming(slots: number, since: number, timeoutMs: number, stableMs = 3_000): Promise<SlotSpread> {
    let held: { sig: string; at: number } | null = null;
    return waitFor(
      `all ${slots} slots streaming`,
      timeoutMs,
      async () => {
        this.checkAlive();
        const st = await Promise.all(this.members.map((m) => slotStatus(m.metricsPort)));
        const all = st.flatMap((s) => s?.assigned ?? []);
        if (st.some((s) => s === null || !s.ready) || all.length !== slots || new Set(all).size !== slots) {
          held = null;
          return null;
        }
        const sig = JSON.stringify(st.map((s) => s!.assigned));
        const now = performance.now();
        if (held?.sig !== sig) held = { sig, at: now };
        if (now - held.at < stableMs) return null;
        return {
          secondsToAllStreaming: round((held.at - since) / 1000, 2),
          slotsPerProcess: Object.fromEntries(this.members.map((m, i) => [m.name, st[i]!.assigned])),
        };
      },
      250,
    );
  }

  /** Queries and CPU of every member from now until the returned function is called. */
  async idleWindow(): Promise<() => Promise<Record<string, unknown>>> {
    const pid = (m: FleetMember) => m.child?.pid ?? -1;
    const q0 = await Promise.all(this.members.map((m) => metricSum(m.metricsPort, 'cdc_source_queries_total')));
    const c0 = this.members.map((m) => cpuSeconds(pid(m)));
    const t0 = performance.now();
    return async () => {
      const s = (performance.now() - t0) / 1000;
      const q1 = await Promise.all(this.members.map((m) => metricSum(m.metricsPort, 'cdc_source_queries_total')));
      const perProcess = this.members.map((m, i) => ({
        process: m.name,
        logQueriesPerSec: round((total(q1[i]!) - total(q0[i]!)) / s, 1),
        cpuSecondsPerMinute: round(((cpuSeconds(pid(m)) - c0[i]!) / s) * 60, 2),
      }));
      return {
        seconds: round(s, 1),
        logQueriesPerSec: round(
          perProcess.reduce((a, p) => a + p.logQueriesPerSec, 0),
          1,
        ),
        cpuSecondsPerMinute: round(
          perProcess.reduce((a, p) => a + p.cpuSecondsPerMinute, 0),
          2,
        ),
        perProcess,
      };
    };
  }

  /**
   * Samples each member's records counter (cdc_records_replicated_total) every `everyMs` until the
   * returned stop is called: per member, when its first record was counted, when its count last
   * grew, and how many it emitted.
   */
  recordSampler(since: number, everyMs = 250): () => Promise<{ process: string; records: number; firstS: number | null; lastS: number | null }[]> {
    const state = this.members.map(() => ({ records: 0, first: null as number | null, last: null as number | null }));
    let running = true;
    const loop = (async () => {
      while (running) {
        await Promise.all(
          this.members.map(async (m, i) => {
            const n = await metricSum(m.metricsPort, 'cdc_records_replicated_total')
              .then(total)
              .catch(() => null);
            const now = performance.now();
            const s = state[i]!;
            if (n === null || n <= s.records) return;
            s.records = n;
            s.first ??= now;
            s.last = now;
          }),
        );
        await sleep(everyMs);
      }
    })();
    return async () => {
      running = false;
      await loop;
      return this.members.map((m, i) => {
        const s = state[i]!;
        const at = (t: number | null) => (t === null ? null : round((t - since) / 1000, 2));
        return { process: m.name, records: s.records, firstS: at(s.first), lastS: at(s.last) };
      });
    };
  }

  peakRss(): Record<string, number> {
    return Object.fromEntries(this.members.map((m) => [m.name, m.peakRssMb]));
  }
}
