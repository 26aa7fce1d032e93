/**
 * One streaming step of one table in one slot: plan the next window (core/stream-plan.ts), read it
 * (window-reader.ts), emit it in one or more transactions (core/window-batches.ts). The position
 * only moves past data once the transaction carrying it has committed (the host's `commit`).
 */
import { metricTable } from '../metrics/prom-registry.js';
import { sourceGenerationSwitches, sourceLogRowsRead } from '../metrics/source-metrics.js';
import type { SlotCheckpoint } from './core/checkpoint.js';
import type { StreamUnit } from './core/generation-plan.js';
import { buildChangeRecords } from './core/build-envelope.js';
import type { Change } from './core/group-change-rows.js';
import { hasDrift, logColumnDrift } from './core/log-columns.js';
import { planAfterProbe, planStream } from './core/stream-plan.js';
import { WindowCursor } from './core/window-batches.js';
import { adaptWindowMs } from './core/window-planner.js';
import type { SlotStepHost, StepResult, TableRuntime } from './slot-context.js';
import { RecordBatch } from './record-batch.js';
import { probeGroups, streamWindowPages } from './window-reader.js';

/** A window to read: `st` is the checkpoint it starts from (moved past a skipped empty history). */
interface PlannedWindow {
  st: SlotCheckpoint;
  units: StreamUnit[];
  fromMs: number;
  toMs: number;
  windowMs: number;
}

export async function streamStep(host: SlotStepHost, rt: TableRuntime, st: SlotCheckpoint): Promise<StepResult> {
  const planned = await planNextWindow(host, rt, st);
  if (!('units' in planned)) return planned.result;
  const s = host.ctx.settings;
  const total = await emitWindow(host, rt, planned);
  host.windowMs.set(rt.name, adaptWindowMs(planned.windowMs, total, s.sourceMaxBatchRecords, s.cdcQueryWindowMs));
  host.observeLag(rt, planned.toMs);
  return total > 0 ? 'worked' : 'idle';
}

/**
 * Streams per query: vnodes only. The driver knows the vnode ring, not where tablets live (no
 * tablets routing in cassandra-driver), so it cannot tell which tablet streams share replicas.
 */
function queryStreams(rt: TableRuntime, streamsPerQuery: number): number {
  return rt.mode === 'vnodes' ? streamsPerQuery : 1;
}

/** Decides the window to read, or carries out a step that reads none (switch, wait, follow). */
async function planNextWindow(host: SlotStepHost, rt: TableRuntime, st: SlotCheckpoint): Promise<PlannedWindow | { result: StepResult }> {
  const { ctx } = host;
  const s = ctx.settings;
  const now = ctx.now();
  const gens = await ctx.generations(rt);
  host.noteExpired(rt, st.atMs, now);
  const windowMs = host.windowMs.get(rt.name) ?? s.cdcQueryWindowMs;
  const plan = planStream({ st, gens, nowMs: now, ttlSeconds: rt.model.cdc.ttlSeconds, slot: ctx.slot, slots: ctx.slots, confidenceMs: s.cdcConfidenceWindowMs, windowMs });
  switch (plan.kind) {
    case 'switch':
      ctx.log.info(
        { table: rt.name, slot: ctx.slot, from: new Date(st.genMs).toISOString(), to: new Date(plan.toGenMs).toISOString(), reason: plan.reason },
        'switching generation',
      );
      sourceGenerationSwitches.inc({ table: metricTable(rt.name), reason: plan.reason });
      await host.commit(rt, [], plan.next);
      return { result: 'worked' };
    case 'unknown-generation':
      return { result: 'idle' };
    case 'wait':
      return { result: await host.heartbeat(rt, st) };
    case 'follow': {
      const followed = { ...st, atMs: plan.atMs };
      host.setState(rt.name, followed);
      host.observeLag(rt, plan.atMs);
      return { result: await host.heartbeat(rt, followed) };
    }
    case 'probe': {
      // One probe per query group (the earliest row of any of its streams is all the plan needs).
      const groups = ctx.logReader.groups(rt.model.keyspace, plan.units, queryStreams(rt, s.streamsPerQuery));
      const firsts = await probeGroups(ctx.logReader, rt.model, plan.units, groups, st.atMs, plan.limitMs, s.readConcurrency);
      const probed = planAfterProbe(plan.input, plan.limitMs, firsts);
      if (probed.jumpedTo !== null) {
        ctx.log.debug({ table: rt.name, slot: ctx.slot, from: st.atMs, to: probed.jumpedTo }, 'skipping empty log history');
        st = { ...st, atMs: probed.jumpedTo };
        host.setState(rt.name, st);
      }
      if (probed.plan.kind !== 'read') return { result: await host.heartbeat(rt, st) };
      return { st, units: plan.units, fromMs: probed.plan.fromMs, toMs: probed.plan.toMs, windowMs };
    }
    case 'read':
      return { st, units: plan.units, fromMs: plan.fromMs, toMs: plan.toMs, windowMs };
  }
}

/**
 * Reads the window and emits it as it arrives, page by page (window-reader.ts `streamWindowPages`),
 * in transactions of at most SOURCE_MAX_BATCH_RECORDS records; `partial` tracks what is out
 * (core/window-batches.ts). Only the current batch's encoded records and the pages being read are
 * held, never the whole window. Returns the log rows read.
 */
async function emitWindow(host: SlotStepHost, rt: TableRuntime, w: PlannedWindow): Promise<number> {
  const { ctx } = host;
  const s = ctx.settings;
  const env = { sourceName: s.sourceName, version: s.version, nowMs: ctx.now() };
  const onUnknownOp = (op: number) => ctx.log.warn({ op, table: rt.name }, 'unknown cdc$operation: skipped');
  const cursor = new WindowCursor(w.st, w.fromMs, w.toMs);
  const groups = ctx.logReader.groups(rt.model.keyspace, w.units, queryStreams(rt, s.streamsPerQuery));
  const { inflight } = ctx.logReader;
  let batch = new RecordBatch(inflight);
  let rows = 0;
  let refreshed = false;
  const cut = async (): Promise<void> => {
    const full = batch;
    batch = new RecordBatch(inflight);
    await host.commit(rt, full, cursor.cut());
  };
  const add = async (changes: Change[]): Promise<void> => {
    for (const ch of changes) {
      for (const rec of buildChangeRecords(rt.model, ch, env, onUnknownOp)) batch.add(rt, rec);
      cursor.emitted(ch);
      if (batch.length >= s.sourceMaxBatchRecords) await cut();
    }
  };
  const pages = streamWindowPages(
    ctx.logReader,
    rt.model,
    w.units,
    w.fromMs,
    w.toMs,
    s.readConcurrency,
    groups,
    async (page) => {
      rows += page.rows.length;
      sourceLogRowsRead.inc({ table: metricTable(rt.name) }, page.rows.length);
      if (!refreshed && hasDrift(logColumnDrift(rt.model, page.columns))) {
        // re-discovered before the page is converted; the batch's records keep their schema ids
        refreshed = true;
        const before = rt.model.columns.map((c) => c.name).join(',');
        rt = await ctx.refreshTable(rt.name);
        ctx.log.info({ table: rt.name, before, after: rt.model.columns.map((c) => c.name).join(',') }, 'table schema changed: using the new schema');
      }
      await add(cursor.changes(page.rows));
    },
    async (streams) => {
      await add(cursor.ended(streams));
      cursor.done(streams);
      // a query of ours may be waiting for room: what this query added must not wait for the window's end
      if (inflight.waiting && batch.length > 0) await cut();
    },
    // a query waits for room: what the slot holds is committed first (a smaller transaction)
    async () => {
      if (batch.length > 0) await cut();
    },
  );
  try {
    await pages;
  } catch (err) {
    batch.release(); // a window that failed half-way drops its batch: its bytes no longer count
    throw err;
  }
  // A window resumed from a previous owner (or cut into parts) must commit its end; an empty one
  // only moves the position, persisted by the heartbeat.
  const last = cursor.end();
  if (batch.length > 0 || w.st.toMs !== null || Object.keys(w.st.partial).length > 0) {
    await host.commit(rt, batch, last);
  } else {
    host.setState(rt.name, last);
    await host.heartbeat(rt, last);
  }
  return rows;
}
