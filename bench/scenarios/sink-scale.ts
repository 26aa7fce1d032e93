/**
 * `sink-scale`: several sink processes of one group on a topic of many partitions (issue 19.4).
 *
 * 1. Throughput, for each process count in `--processes` (1,2,3): a backlog of `--rows` changes on
 *    a `--partitions` (24) topic; a fresh group and target schema; the topic is paused for the
 *    group first (`scylla-pg-cdc pause --topic`), the processes are started and the group settles
 *    (every partition held by exactly one, each holding some), then `resume`: so the drain is
 *    measured on a stable group, not through the joins. Overall rate from the stored offsets, per
 *    process from its own `cdc_records_replicated_total`.
 * 2. Joins and leaves under a steady load (`--rate` changes/s produced all along): 1 process, a
 *    join (→ 2), a join (→ 3), a SIGTERM (→ 2), a kill -9 (→ 1), a replacement joining (→ 2), each
 *    `--event-gap-s` after the group settled from the one before. The group's stored offsets are
 *    sampled every 100 ms; the pauses are computed from them (rebalance-pauses.ts, bench/README.md).
 *
 * Both parts end with the target compared to the workload's expected rows column by column.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { expectedState, keyString, type Change, type Workload } from '../workloads/types.js';
import type { BenchChild } from '../lib/procs.js';
import { createTopic, pacedProducer, produceWorkload } from '../lib/kafka.js';
import { createSchema, differingRows, isDone, loadExpectedState, pgClient, readProgress } from '../lib/pg.js';
import { eventPause, type EventPause } from '../lib/rebalance-pauses.js';
import { appliedBy, sampleOffsets, waitSettled, type GroupMember, type OffsetSampler } from '../lib/sink-group.js';
import { log, round, sleep } from '../lib/util.js';
import { freePort } from '../../test/helpers/free-port.js';

export interface SinkScaleOptions {
  runId: string;
  tmp: string;
  workload: Workload;
  /** The workload's changes: the first `rows` are the backlog; the join/leave part produces from the start as long as it runs. */
  changes: Change[];
  rows: number;
  partitions: number;
  processes: number[];
  rate: number;
  eventGapS: number;
  stallMs: number;
  /** Spawns our sink (dist or tsx) with these variables added to the run's. */
  sink: (name: string, env: Record<string, string>) => BenchChild;
  /** Runs one command of our CLI to its end (pause / resume). */
  cli: (args: string[], env: Record<string, string>) => void;
  sinkEnv: (schema: string, topic: string, group: string) => Record<string, string>;
}

export interface ThroughputRun {
  processes: number;
  completed: boolean;
  reason: string;
  rowsPerSec: number | null;
  perProcess: { name: string; changes: number; rowsPerSec: number }[];
  /** Sum of the processes' own counters: equals the backlog when no change was applied twice. */
  countersSum: number;
  seconds: { settle: number; apply: number | null };
  loadAvg1m: { before: number; after: number };
  contentsMatch: boolean | null;
  peakRssMb: Record<string, number>;
}

export interface EventRun extends EventPause {
  event: string;
  atS: number;
  /** Event → every partition held by the remaining members (each holding some). */
  settledAfterMs: number;
  loadAvg1m: number;
  exitCode?: number | null;
}

export interface SinkScaleOutcome {
  completed: boolean;
  reason: string;
  throughput: ThroughputRun[];
  events: EventRun[];
  eventsRun: {
    rate: number;
    produced: number;
    contentsMatch: boolean | null;
    reason: string;
    /** Log lines of the processes about a refused (fenced) commit, and about an assignment placed: one per member per rebalance. */
    fencedLogLines: number;
    assignments: number;
    logs: string;
  };
}

const load1 = () => round(loadavg()[0]!, 2);

async function member(o: SinkScaleOptions, name: string, env: Record<string, string>): Promise<GroupMember> {
  const port = await freePort();
  return { name, port, child: o.sink(name, { ...env, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' }) };
}

/** Waits until the group committed `target` changes; throws when nothing moved for `stallMs` or a member died. */
async function waitCommitted(sampler: OffsetSampler, target: number, members: GroupMember[], stallMs: number): Promise<number> {
  let last = -1;
  let movedAt = performance.now();
  for (;;) {
    const c = sampler.committed();
    if (c >= target) return performance.now();
    if (c !== last) {
      last = c;
      movedAt = performance.now();
    }
    const dead = members.find((m) => !m.child.running);
    if (dead) throw new Error(`${dead.name} exited with code ${dead.child.exitCode}`);
    if (performance.now() - movedAt > stallMs) throw new Error(`no progress for ${stallMs / 1000}s at ${c}/${target}`);
    await sleep(50);
  }
}

/** Count, sum(seq) and then every column against the expected rows of `changes`. */
async function contentsMatch(o: SinkScaleOptions, schema: string, expectedSchema: string, changes: Change[]): Promise<boolean> {
  const c = pgClient();
  await c.connect();
  try {
    if (!isDone(await readProgress(c, schema, o.workload.table), expectedState(o.workload, changes))) return false;
  } finally {
    await c.end();
  }
  return (
    (await differingRows(
      schema,
      o.workload.table,
      expectedSchema,
      o.workload.columns.map((col) => col.name),
    )) === 0
  );
}

async function throughputRun(o: SinkScaleOptions, topic: string, k: number): Promise<ThroughputRun> {
  const schema = `${o.runId}_scale${k}`;
  const group = `${o.runId}-scale${k}`;
  await createSchema(schema);
  const env = { ...o.sinkEnv(schema, topic, group), SINK_TOPIC_REFRESH_MS: '1000' };
  const out: ThroughputRun = {
    processes: k,
    completed: false,
    reason: '',
    rowsPerSec: null,
    perProcess: [],
    countersSum: 0,
    seconds: { settle: 0, apply: null },
    loadAvg1m: { before: 0, after: 0 },
    contentsMatch: null,
    peakRssMb: {},
  };
  o.cli(['pause', '--topic', topic, '--reason', 'bench: start every process before the drain'], env);
  const members: GroupMember[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= k; i++) members.push(await member(o, `scale${k}-sink${i}`, env));
  const sampler = await sampleOffsets(schema, group, topic, o.partitions);
  try {
    await waitSettled(members, topic, o.partitions, o.stallMs);
    out.seconds.settle = round((performance.now() - t0) / 1000, 2);
    out.loadAvg1m.before = load1();
    log(`sink-scale: ${k} process(es) settled in ${out.seconds.settle}s; resuming the topic`);
    o.cli(['resume', '--topic', topic], env);
    const doneAt = await waitCommitted(sampler, o.rows, members, o.stallMs);
    out.loadAvg1m.after = load1();
    const first = sampler.samples.find((s) => s.offsets.some((x) => x > 0))!;
    const firstSum = first.offsets.reduce((a, b) => a + b, 0);
    const s = (doneAt - first.t) / 1000;
    out.seconds.apply = round(s, 2);
    out.rowsPerSec = round((o.rows - firstSum) / s);
    for (const m of members) {
      const changes = await appliedBy(m);
      out.perProcess.push({ name: m.name, changes, rowsPerSec: round(changes / s) });
      out.countersSum += changes;
    }
    out.contentsMatch = await contentsMatch(o, schema, `${o.runId}_expected`, o.changes.slice(0, o.rows));
    out.completed = true;
    out.reason = 'all changes applied';
  } catch (e) {
    out.reason = `error: ${(e as Error).message}`;
  } finally {
    await sampler.stop();
    for (const m of members) {
      await m.child.stop();
      out.peakRssMb[m.name] = m.child.memory().peakRssMb;
    }
  }
  log(`sink-scale: ${k} process(es): ${out.rowsPerSec} changes/s (${out.perProcess.map((p) => `${p.name} ${p.rowsPerSec}`).join(', ')}), ${out.reason}`);
  return out;
}

interface Step {
  event: string;
  /** Does the event; returns the members that remain, and what to await for the leaver's exit. */
  act: (live: GroupMember[]) => Promise<{ live: GroupMember[]; exit?: Promise<number | null> }>;
}

async function eventsRun(o: SinkScaleOptions, out: SinkScaleOutcome): Promise<void> {
  const topic = `${o.runId}.scale-events.${o.workload.table}`;
  const schema = `${o.runId}_events`;
  const group = `${o.runId}-events`;
  await createTopic(topic, o.partitions);
  await createSchema(schema);
  // info: each assignment and each fence is a log line, counted at the end.
  const env = { ...o.sinkEnv(schema, topic, group), SINK_TOPIC_REFRESH_MS: '1000', LOG_LEVEL: 'info' };
  const all: GroupMember[] = [];
  const add = async (name: string) => {
    const m = await member(o, name, env);
    all.push(m);
    return m;
  };
  const producer = await pacedProducer(o.workload, o.changes, topic, o.partitions, Date.now() * 1000, o.rate);
  const sampler = await sampleOffsets(schema, group, topic, o.partitions);
  const t0 = performance.now();
  const marks: { step: string; t: number; settledAfterMs: number; load: number; exitCode?: number | null }[] = [];
  const steps: Step[] = [
    { event: 'join 1 → 2', act: async (live) => ({ live: [...live, await add('events-sink2')] }) },
    { event: 'join 2 → 3', act: async (live) => ({ live: [...live, await add('events-sink3')] }) },
    { event: 'SIGTERM 3 → 2', act: async (live) => ({ live: live.slice(1), exit: live[0]!.child.stop(60_000) }) },
    {
      event: 'kill -9 2 → 1',
      act: async (live) => {
        await live[0]!.child.kill9();
        return { live: live.slice(1) };
      },
    },
    { event: 'join (replacement) 1 → 2', act: async (live) => ({ live: [...live, await add('events-sink4')] }) },
  ];
  let stoppedAt: number | undefined;
  try {
    let live = [await add('events-sink1')];
    await waitSettled(live, topic, o.partitions, o.stallMs);
    await sleep(o.eventGapS * 1000);
    for (const step of steps) {
      log(`sink-scale: ${step.event}`);
      const t = performance.now();
      const load = load1();
      const r = await step.act(live);
      live = r.live;
      await waitSettled(live, topic, o.partitions, o.stallMs + 60_000);
      const settledAfterMs = round(performance.now() - t);
      const exitCode = r.exit ? await r.exit : undefined;
      marks.push({ step: step.event, t, settledAfterMs, load, ...(exitCode !== undefined ? { exitCode } : {}) });
      log(`sink-scale: ${step.event}: settled after ${settledAfterMs} ms`);
      await sleep(o.eventGapS * 1000);
    }
    stoppedAt = performance.now(); // the last event's window ends here: afterwards nothing is produced
    const produced = await producer.stop();
    out.eventsRun.produced = produced;
    await waitCommitted(sampler, produced, live, o.stallMs);
    const expectedSchema = `${o.runId}_expected_events`;
    await loadExpectedState(o.workload, o.changes.slice(0, produced), expectedSchema, (key) => keyString(o.workload, key));
    out.eventsRun.contentsMatch = await contentsMatch(o, schema, expectedSchema, o.changes.slice(0, produced));
    out.eventsRun.reason = 'all changes applied';
  } catch (e) {
    out.eventsRun.reason = `error: ${(e as Error).message}`;
    await producer.stop();
  } finally {
    await sampler.stop();
    for (const m of all) await m.child.stop();
  }
  const end = stoppedAt ?? sampler.samples[sampler.samples.length - 1]?.t ?? performance.now();
  out.events = marks.map((m, i) => ({
    event: m.step,
    atS: round((m.t - t0) / 1000, 1),
    settledAfterMs: m.settledAfterMs,
    loadAvg1m: m.load,
    ...(m.exitCode !== undefined ? { exitCode: m.exitCode } : {}),
    ...eventPause(sampler.samples, m.t, marks[i + 1]?.t ?? end),
  }));
  out.eventsRun.fencedLogLines = all.reduce((n, m) => n + countLines(join(o.tmp, `${m.name}.log`), 'fenced'), 0);
  out.eventsRun.assignments = all.reduce((n, m) => n + countLines(join(o.tmp, `${m.name}.log`), 'partitions assigned'), 0);
}

function countLines(file: string, needle: string): number {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes(needle)).length;
  } catch {
    return 0;
  }
}

export async function runSinkScale(o: SinkScaleOptions): Promise<SinkScaleOutcome> {
  const out: SinkScaleOutcome = {
    completed: false,
    reason: '',
    throughput: [],
    events: [],
    eventsRun: { rate: o.rate, produced: 0, contentsMatch: null, reason: '', fencedLogLines: 0, assignments: 0, logs: o.tmp },
  };
  const topic = `${o.runId}.scale.${o.workload.table}`;
  await createTopic(topic, o.partitions);
  log(`sink-scale: producing the ${o.rows}-change backlog to ${topic} (${o.partitions} partitions)`);
  await produceWorkload(o.workload, o.changes.slice(0, o.rows), topic, o.partitions, Date.now() * 1000);
  await loadExpectedState(o.workload, o.changes.slice(0, o.rows), `${o.runId}_expected`, (key) => keyString(o.workload, key));
  for (const k of o.processes) out.throughput.push(await throughputRun(o, topic, k));
  await eventsRun(o, out);
  const bad = [...out.throughput.filter((t) => !t.completed || !t.contentsMatch).map((t) => `${t.processes} processes: ${t.reason}`)];
  if (out.eventsRun.contentsMatch !== true) bad.push(`joins and leaves: ${out.eventsRun.reason}${out.eventsRun.contentsMatch === false ? ' (contents differ)' : ''}`);
  out.completed = bad.length === 0;
  out.reason = out.completed ? 'every run applied its changes exactly (contents checked)' : bad.join('; ');
  return out;
}
