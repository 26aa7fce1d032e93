/**
 * `recovery`: catch-up after kill -9 (issue 14, target 5: ≤ the session timeout + 10 s).
 *
 * The in-process Scylla emulator, our source and our sink (the real CLI, as e2e runs them), and a
 * steady `--rate` of writes. Each victim in turn (default the sink, then the source) is killed with
 * SIGKILL and a new process started at once, from a steady state: not before `--kill-at-s` seconds
 * of writes (the first) or the previous catch-up, and only once the end-to-end lag has stayed under
 * the confidence window + 2 s for `--settle-s` seconds. The writes go on throughout; at the end
 * PostgreSQL must hold exactly the workload.
 *
 * Per kill, times from the kill: the new process logs it started (`starting sink|source`), it
 * finished its start-up steps and asks to join the group (`subscribing` / `joining the slot group`),
 * the group gave it partitions or slots (the dead member holds them until its session times out:
 * kafkajs has no static membership), the first change it made visible, and the catch-up
 * (bench/lib/catch-up.ts: when the last change slower than the threshold became visible).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, ExpectedState, Workload } from '../workloads/types.js';
import { catchUp, lagsSeenBetween, LiveLag } from '../lib/catch-up.js';
import { startEmulatorWriter } from '../lib/emulator.js';
import { createTopic } from '../lib/kafka.js';
import { createSchema } from '../lib/pg.js';
import type { BenchChild } from '../lib/procs.js';
import { log, percentiles, round, sleep, type Percentiles } from '../lib/util.js';
import { waitForTarget } from './common.js';

export type Victim = 'sink' | 'source';

export interface RecoveryOptions {
  workload: Workload;
  changes: Change[];
  expected: ExpectedState;
  runId: string;
  tmp: string;
  partitions: number;
  rate: number;
  killAtS: number;
  settleS: number;
  victims: Victim[];
  stallMs: number;
  sessionTimeoutMs: number;
  confidenceWindowMs: number;
  spawn: (role: Victim, name: string, env: Record<string, string>) => BenchChild;
  /** the source's variables for the emulator at contactPoint, keyspace = the run id, topics <runId>.recovery.<table> */
  sourceEnv: (contactPoint: string, keyspace: string) => Record<string, string>;
  sinkEnv: (schema: string, topic: string) => Record<string, string>;
}

/** Log lines (pino `msg`) that mark the phases of a restarted process, in the order they come. */
const MARKS: Record<Victim, { started: string; joining: string; assigned: string; opened?: string }> = {
  sink: { started: 'starting sink', joining: 'subscribing', assigned: 'partitions assigned; resuming from offsets stored in PostgreSQL' },
  source: { started: 'starting source', joining: 'joining the slot group', assigned: 'slots assigned', opened: 'slot opened' },
};

export interface KillRecord {
  victim: Victim;
  /** seconds after the writes began */
  killedAtS: number;
  /** write → visible in the 10 s before the kill (ms) */
  steadyLagMs: Percentiles | null;
  /** seconds from the kill; null when the mark was not seen */
  phases: {
    spawned: number | null;
    processStarted: number | null;
    joinRequested: number | null;
    assigned: number | null;
    slotsOpened?: number | null;
    firstApplied: number | null;
    caughtUp: number | null;
  };
  targetS: number;
  met: boolean;
  lateChanges: number;
  /** seconds from the kill to the last change slower than the threshold (a later stretch of lag, if any) */
  lastLateS: number | null;
  missing: number;
  maxLagS: number;
  oldExit: string;
  log: string;
}

export interface RecoveryOutcome {
  completed: boolean;
  reason: string;
  /** PostgreSQL holds the expected count and sum(seq): its contents can be checked */
  targetComplete: boolean;
  kills: KillRecord[];
  schema: string;
  writeSeconds: number;
  peakRssMb: Record<string, number>;
  latencyMs: Percentiles | null;
}

/** Epoch ms of each line whose msg is `msg` (pino JSON lines with an ISO `time`). */
function markTimes(file: string, msg: string): number[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(msg)) continue;
    try {
      const j = JSON.parse(line) as { msg?: string; time?: string };
      if (j.msg === msg && j.time) out.push(Date.parse(j.time));
    } catch {
      /* not a log line */
    }
  }
  return out;
}

export async function runRecovery(o: RecoveryOptions): Promise<RecoveryOutcome> {
  const { workload, changes, expected } = o;
  const thresholdMs = o.confidenceWindowMs + 2000;
  const targetS = o.sessionTimeoutMs / 1000 + 10;
  const writer = await startEmulatorWriter(workload, o.runId);
  const topic = `${o.runId}.recovery.${workload.table}`;
  const schema = `${o.runId}_recovery`;
  const peakRssMb: Record<string, number> = {};
  const children: BenchChild[] = [];
  const kills: KillRecord[] = [];
  try {
    await createTopic(topic, o.partitions);
    await createSchema(schema);
    // Fixed session timeouts and window, so the target and the threshold are the ones in force; info
    // logs for the phase marks.
    const common = {
      LOG_LEVEL: 'info',
      CDC_CONFIDENCE_WINDOW_MS: String(o.confidenceWindowMs),
      SOURCE_GROUP_SESSION_TIMEOUT_MS: String(o.sessionTimeoutMs),
      SINK_SESSION_TIMEOUT_MS: String(o.sessionTimeoutMs),
    };
    const env: Record<Victim, Record<string, string>> = {
      source: { ...o.sourceEnv(writer.contactPoint, o.runId), ...common },
      sink: { ...o.sinkEnv(schema, topic), ...common },
    };
    const roles: Victim[] = ['source', 'sink'];
    for (const r of roles) children.push(o.spawn(r, r, env[r]));

    const writeMs = new Float64Array(changes.length);
    const seen = new Map<number, number>();
    const finals = [...expected.finalSeqs].sort((a, b) => a - b);
    const start = Date.now();
    const writing = writer.write(changes, o.rate, writeMs);
    let over = false;
    const waiting = waitForTarget({ schema, table: workload.table, expected, children, stallMs: o.stallMs, pollMs: 100, trackLatency: true, seen, label: 'recovery' });
    void waiting.finally(() => (over = true));
    const live = new LiveLag(finals, writeMs, seen);

    let next = start + o.killAtS * 1000;
    let unsteady: string | null = null;
    for (const [i, victim] of o.victims.entries()) {
      // Kill from a steady state only: not before `next`, and after settleS with changes arriving
      // and the lag under the threshold (a loaded box can take long to get there).
      let steadySince: number | null = null;
      for (;;) {
        const now = Date.now();
        if (over || (now >= next && steadySince !== null && now - steadySince >= o.settleS * 1000)) break;
        if (now - next > o.stallMs) {
          unsteady = `no ${o.settleS} s of steady state (lag under ${thresholdMs} ms) before the kill of the ${victim} within ${o.stallMs / 1000} s`;
          break;
        }
        const steady = seen.size > 0 && live.at(now) <= thresholdMs;
        if (!steady) steadySince = null;
        else steadySince ??= now;
        await sleep(100);
      }
      if (over || unsteady) break;
      const at = roles.indexOf(victim);
      const old = children[at]!;
      const name = `${victim}-${i + 1}`;
      const killedAt = Date.now();
      void old.kill9(); // SIGKILL sent synchronously; the exit is awaited below
      // Swapped in the same tick: waitForTarget never sees the killed child as one that died.
      children[at] = o.spawn(victim, name, env[victim]);
      const spawnedAt = Date.now();
      log(`recovery: kill -9 ${old.name} at ${round((killedAt - start) / 1000, 1)} s; started ${name}`);
      const oldExit = old.wait().then(() => `code ${String(old.exitCode)} (signal ${String(old.proc.signalCode)})`);

      // Live: back under the threshold after having been above it (or never above it for a while).
      let wentLate = false;
      for (;;) {
        if (over) break;
        const now = Date.now();
        const lag = live.at(now);
        if (lag > thresholdMs) wentLate = true;
        else if (wentLate || now - killedAt > o.sessionTimeoutMs + thresholdMs + 10_000) break;
        if (now - killedAt > o.stallMs) break;
        await sleep(100);
      }
      const liveAt = Date.now();
      log(`recovery: lag back under ${thresholdMs} ms ${round((liveAt - killedAt) / 1000, 1)} s after the kill`);
      await old.stop(); // already dead: only reaps it and records its memory
      peakRssMb[old.name] = old.memory().peakRssMb;
      kills.push({
        victim,
        killedAtS: round((killedAt - start) / 1000, 2),
        steadyLagMs: percentiles(lagsSeenBetween(killedAt - 10_000, killedAt, finals, writeMs, seen)),
        phases: { spawned: round((spawnedAt - killedAt) / 1000, 2), processStarted: null, joinRequested: null, assigned: null, firstApplied: null, caughtUp: null },
        targetS,
        met: false,
        lateChanges: 0,
        lastLateS: null,
        missing: 0,
        maxLagS: 0,
        oldExit: await oldExit,
        log: join(o.tmp, `${name}.log`),
      });
      next = liveAt;
    }

    const wr = await writing;
    const w = await waiting;
    for (const ch of children) {
      await ch.stop();
      peakRssMb[ch.name] = ch.memory().peakRssMb;
    }
    // Phases, now that every log is complete and every change was seen (or the run failed).
    const killTimes = kills.map((k) => start + k.killedAtS * 1000);
    kills.forEach((k, i) => {
      const from = killTimes[i]!;
      const to = killTimes[i + 1] ?? Number.MAX_SAFE_INTEGER;
      const m = MARKS[k.victim];
      const first = (msg: string) => markTimes(k.log, msg).find((t) => t >= from) ?? null;
      const sec = (t: number | null) => (t === null ? null : round((t - from) / 1000, 2));
      const assigned = first(m.assigned);
      // the first change the new process made visible: seen after its assignment
      let firstApplied: number | null = null;
      if (assigned !== null) for (const t of seen.values()) if (t > assigned && t <= to && (firstApplied === null || t < firstApplied)) firstApplied = t;
      const cu = catchUp({ fromMs: from, toMs: to, thresholdMs, finals, writeMs, seenAt: seen });
      k.phases.processStarted = sec(first(m.started));
      k.phases.joinRequested = sec(first(m.joining));
      k.phases.assigned = sec(assigned);
      if (m.opened) {
        const opened = markTimes(k.log, m.opened).filter((t) => t >= from && t <= to);
        k.phases.slotsOpened = opened.length ? sec(Math.max(...opened)) : null;
      }
      k.phases.firstApplied = sec(firstApplied);
      k.phases.caughtUp = sec(cu.recoveredAtMs);
      k.lateChanges = cu.lateChanges;
      k.lastLateS = sec(cu.lastLateAtMs);
      k.missing = cu.missing;
      k.maxLagS = round(cu.maxLagMs / 1000, 2);
      k.met = k.phases.caughtUp !== null && k.phases.caughtUp <= targetS;
    });
    const all = lagsSeenBetween(0, Number.MAX_SAFE_INTEGER, finals, writeMs, seen);
    const unrecovered = kills.filter((k) => k.phases.caughtUp === null).map((k) => k.victim);
    const completed = w.completed && kills.length === o.victims.length && unrecovered.length === 0;
    const reason = !w.completed
      ? w.reason
      : unsteady
        ? unsteady
        : kills.length < o.victims.length
          ? 'run ended before every kill'
          : unrecovered.length
            ? `never caught up: ${unrecovered.join(', ')}`
            : w.reason;
    return { completed, reason, targetComplete: w.completed, kills, schema, writeSeconds: round(wr.seconds, 2), peakRssMb, latencyMs: percentiles(all) };
  } finally {
    for (const ch of children) await ch.stop();
    await writer.close();
  }
}
