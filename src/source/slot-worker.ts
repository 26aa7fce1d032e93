/**
 * Reads one slot: for every table, the slot's stream units of the current generation, window by
 * window, and commits each window's records together with the slot's checkpoint in one Kafka
 * transaction. Also runs the slot's share of the initial snapshot.
 *
 * Invariant: `state` only moves forward past data once the transaction carrying that data has
 * committed. Empty windows move it without a transaction (re-reading them after a crash is
 * harmless); a heartbeat transaction persists such progress every few seconds.
 */
import type { Message } from 'kafkajs';
import { isRetriable, ReplicatorError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { metricTable, recordsReplicated } from '../metrics/prom-registry.js';
import {
  sourceGenerationSwitches, sourceLogRowsRead, sourceQueries, sourceSlotPosition, sourceSnapshotRows, sourceTransactions, sourceTransactionSeconds, sourceWindowLag,
  sourceCheckpointGaps,
} from '../metrics/source-metrics.js';
import type { TableModel } from '../schema/table-model.js';
import { Backoff, sleep } from './backoff.js';
import { buildChangeRecords, buildSnapshotRecord, type SourceRecord } from './core/build-envelope.js';
import type { SlotCheckpoint } from './core/checkpoint.js';
import { DONE } from './core/checkpoint.js';
import type { Generation } from './core/generation-plan.js';
import { expiredWindow, generationAt, nextPositionStep, oldestLivePosition, tokenRangesForSlot, unitsForSlot } from './core/generation-plan.js';
import { groupChangeRows } from './core/group-change-rows.js';
import { hasDrift, logColumnDrift } from './core/log-columns.js';
import type { CdcLogRow } from './core/log-row.js';
import { hex } from './core/log-row.js';
import { partitionFor } from './core/murmur2.js';
import { createResumeFilter } from './core/resume-filter.js';
import { STALLED_AFTER_MS, tableReadiness, unconfiguredTables, type SlotPhase, type TableReadiness } from './core/slot-readiness.js';
import { adaptWindowMs, jumpAfterProbe, nextPollDelayMs, planWindow, probeLimit } from './core/window-planner.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { SlotEmitter, TopicBatch } from './slot-emitter.js';
import { isFencedError } from './slot-emitter.js';
import type { LogReader } from './log-reader.js';
import type { TableCodec } from './schema-publisher.js';
import type { SnapshotReader } from './snapshot-reader.js';
import type { KeyspaceMode } from './table-discovery.js';

export interface TableRuntime {
  name: string;
  topic: string;
  partitions: number;
  mode: KeyspaceMode;
  model: TableModel;
  codec: TableCodec;
}

export interface SlotSettings {
  cdcQueryWindowMs: number;
  cdcConfidenceWindowMs: number;
  cdcPollIntervalMs: number;
  cdcStart: string;
  snapshotMode: 'initial' | 'never' | 'initial_only';
  sourceMaxBatchRecords: number;
  sourceName: string;
  version: string;
  heartbeatMs: number;
  readConcurrency: number;
}

export interface SlotContext {
  slot: number;
  slots: number;
  settings: SlotSettings;
  log: Logger;
  tables(): TableRuntime[];
  generations(t: TableRuntime): Promise<Generation[]>;
  /** Re-discovers the table and registers its new schemas (ALTER TABLE while running). */
  refreshTable(name: string): Promise<TableRuntime>;
  logReader: LogReader;
  snapshotReader: SnapshotReader;
  store: CheckpointStore;
  emitter: SlotEmitter;
  now(): number;
}

type StepResult = 'worked' | 'idle';

interface Pending {
  records: { rt: TableRuntime; rec: SourceRecord }[];
}

export class SlotWorker {
  private state = new Map<string, SlotCheckpoint>();
  /** Offset of the last checkpoint this worker committed per table: a load must not be older. */
  private readonly committedAt = new Map<string, bigint>();
  private phase: SlotPhase = { kind: 'opening', sinceMs: Date.now() };
  /** Tables with checkpoints in this slot that are not in SCYLLA_TABLES: ignored. */
  ignoredTables: string[] = [];
  /** Last time a step finished or a transaction committed. */
  private progressMs = Date.now();
  private lastCommitMs = new Map<string, number>();
  private windowMs = new Map<string, number>();
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  healthy = true;
  lastError: string | undefined;
  /** Windows whose log rows expired before this slot read them (kept until the process restarts). */
  readonly gaps: { table: string; fromMs: number; toMs: number }[] = [];
  private readonly gapReportedUntil = new Map<string, number>();
  snapshotDone = false;
  stopped = false;

  constructor(private readonly ctx: SlotContext) {}

  get slot(): number {
    return this.ctx.slot;
  }

  /** Per configured table: streaming, or why not (for /readyz and status). */
  readiness(): TableReadiness[] {
    const now = this.ctx.now();
    const phase: SlotPhase = this.phase.kind === 'running' && now - this.progressMs > STALLED_AFTER_MS ? { kind: 'stalled', sinceMs: this.progressMs } : this.phase;
    return tableReadiness(phase, this.ctx.tables().map((t) => t.name), this.state, now);
  }

  status(): unknown {
    return {
      slot: this.ctx.slot,
      healthy: this.healthy,
      lastError: this.lastError ?? null,
      transactionalId: this.ctx.emitter.transactionalId,
      readiness: this.readiness(),
      ignoredCheckpoints: this.ignoredTables,
      tables: [...this.state.values()].map((s) => ({
        table: s.table,
        generation: new Date(s.genMs).toISOString(),
        position: new Date(s.atMs).toISOString(),
        windowInProgress: s.toMs !== null ? new Date(s.toMs).toISOString() : null,
        partialStreams: Object.keys(s.partial).length,
        snapshot: s.snapshot ? { startMs: s.snapshot.startMs, rangesDone: s.snapshot.done ? s.snapshot.ranges.length : s.snapshot.rangePos, ranges: s.snapshot.ranges.length, done: s.snapshot.done } : null,
        expiredGaps: this.gaps.filter((g) => g.table === s.table).map((g) => ({ from: new Date(g.fromMs).toISOString(), to: new Date(g.toMs).toISOString() })),
        lastCommit: this.lastCommitMs.has(s.table) ? new Date(this.lastCommitMs.get(s.table)!).toISOString() : null,
      })),
    };
  }

  start(onExit: (err?: unknown) => void): void {
    this.running = this.run().then(
      () => onExit(),
      (err: unknown) => onExit(err),
    );
  }

  /** Finishes the open transaction (steps are awaited whole), then closes the producer. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const { log, slot } = this.ctx;
    const backoff = new Backoff(500, 15_000);
    let delay = this.ctx.settings.cdcPollIntervalMs;
    let open = false;
    try {
      while (!this.stopping) {
        let worked = false;
        try {
          if (!open) {
            // Fence the previous owner (or our own earlier producer), then read what was
            // committed. Done again after every failure: a recreated producer re-initialises
            // its transactional id and may have fenced a newer owner, so in-memory state must
            // never outlive a producer.
            if (this.phase.kind !== 'retrying') this.phase = { kind: 'opening', sinceMs: this.ctx.now() };
            await this.ctx.emitter.open();
            this.state = this.adoptCheckpoints(await this.ctx.store.loadSlot(slot));
            this.windowMs.clear();
            open = true;
            if (this.phase.kind === 'opening') this.phase = { kind: 'running' }; // 'retrying' lasts until a step succeeds
            this.progressMs = this.ctx.now();
            log.info({ slot, checkpoints: this.state.size }, 'slot opened');
          }
          for (const rt of this.ctx.tables()) {
            if (this.stopping) break;
            if ((await this.step(rt)) === 'worked') worked = true;
          }
          this.snapshotDone = this.ctx.tables().every((rt) => this.state.get(rt.name)?.snapshot?.done !== false);
          this.phase = { kind: 'running' };
          this.progressMs = this.ctx.now();
          this.healthy = true;
          this.lastError = undefined;
          backoff.reset();
        } catch (err) {
          if (isFencedError(err)) {
            sourceTransactions.inc({ outcome: 'fenced' });
            log.warn({ slot }, 'slot fenced by a newer owner: letting it go');
            return;
          }
          this.fail(err, 'slot step failed; retrying from the last committed checkpoint');
          this.phase = { kind: 'retrying', error: (err as Error).message, sinceMs: this.phase.kind === 'retrying' ? this.phase.sinceMs : this.ctx.now() };
          open = false;
          await this.ctx.emitter.close();
          await sleep(backoff.next(), this.abort.signal);
          continue;
        }
        if (!worked) {
          delay = nextPollDelayMs(delay, false, this.ctx.settings.cdcPollIntervalMs, Math.max(this.ctx.settings.cdcPollIntervalMs, 500));
          await sleep(delay, this.abort.signal);
        } else {
          delay = this.ctx.settings.cdcPollIntervalMs;
        }
      }
    } finally {
      this.stopped = true;
      this.phase = { kind: 'stopped' };
      await this.ctx.emitter.close();
    }
  }

  /**
   * The loaded checkpoints of the configured tables. Those of other tables (SCYLLA_TABLES
   * changed) are ignored and reported. A load older than a checkpoint this worker committed itself
   * is a stale read: resuming from it would emit the changes after it a second time, so it is
   * refused (retried) instead.
   */
  private adoptCheckpoints(loaded: Map<string, SlotCheckpoint>): Map<string, SlotCheckpoint> {
    const { slot, log, store } = this.ctx;
    for (const [table, mine] of this.committedAt) {
      const read = store.offsetOf(table, slot);
      if (read === undefined || read < mine) {
        throw new ReplicatorError('CDC_KAFKA', `checkpoint of ${table} in slot ${slot} read at offset ${read ?? 'none'}, older than the one this slot committed (${mine}): not resuming from a stale read`, true);
      }
    }
    const configured = this.ctx.tables().map((t) => t.name);
    const ignored = unconfiguredTables(loaded, configured);
    if (ignored.join() !== this.ignoredTables.join() && ignored.length > 0) {
      log.warn({ slot, tables: ignored }, 'checkpoints of tables not in SCYLLA_TABLES: ignored');
    }
    this.ignoredTables = ignored;
    for (const t of ignored) loaded.delete(t);
    return loaded;
  }

  private fail(err: unknown, msg: string): void {
    this.healthy = false;
    this.lastError = (err as Error).message;
    this.ctx.log.warn({ err, slot: this.ctx.slot, retriable: isRetriable(err) }, msg);
  }

  // ------------------------------------------------------------------------------------------

  private async step(rt: TableRuntime): Promise<StepResult> {
    let st = this.state.get(rt.name);
    if (!st) {
      const init = await this.initialState(rt);
      if (!init) return 'idle';
      st = init;
      this.state.set(rt.name, st);
    }
    if (st.snapshot && !st.snapshot.done) return this.snapshotStep(rt, st);
    if (this.ctx.settings.snapshotMode === 'initial_only') return 'idle';
    return this.streamStep(rt, st);
  }

  /** Reports (once per window) a position the CDC log TTL has overtaken: changes may be lost. */
  private noteExpired(rt: TableRuntime, atMs: number, now: number): void {
    const w = expiredWindow(atMs, now, rt.model.cdc.ttlSeconds);
    const reported = this.gapReportedUntil.get(rt.name);
    if (!w || (reported !== undefined && atMs < reported)) return;
    this.gapReportedUntil.set(rt.name, w.toMs);
    this.gaps.push({ table: rt.name, ...w });
    sourceCheckpointGaps.inc({ table: metricTable(rt.name) });
    this.ctx.log.error(
      { table: rt.name, slot: this.ctx.slot, lostFrom: new Date(w.fromMs).toISOString(), lostTo: new Date(w.toMs).toISOString(), ttlSeconds: rt.model.cdc.ttlSeconds },
      `the CDC log expired rows before they were read: changes to ${rt.name} written between ${new Date(w.fromMs).toISOString()} and ${new Date(w.toMs).toISOString()} may be missing downstream. ` +
        `Run \`scylla-pg-cdc reconcile --table ${rt.name} --repair\` to restore them; the source reports not ready until restarted`,
    );
  }

  private async initialState(rt: TableRuntime): Promise<SlotCheckpoint | undefined> {
    const s = this.ctx.settings;
    const gens = await this.ctx.generations(rt);
    if (gens.length === 0) return undefined; // no generation yet (fresh cluster): wait
    const now = this.ctx.now();
    const base = { v: 1 as const, table: rt.name, slot: this.ctx.slot, slots: this.ctx.slots, toMs: null, partial: {}, writtenAtMs: 0 };
    if (s.snapshotMode !== 'never') {
      const gen = generationAt(gens, now)!;
      const streamFrom = now - s.cdcConfidenceWindowMs;
      const ranges = tokenRangesForSlot(gen.units, this.ctx.slot, this.ctx.slots).map((r) => [r.startExclusive.toString(), r.endInclusive.toString()] as [string, string]);
      return {
        ...base,
        genMs: generationAt(gens, streamFrom)!.startMs,
        atMs: Math.max(streamFrom, gens[0]!.startMs),
        snapshot: { startMs: now, ranges, rangePos: 0, afterToken: null, done: ranges.length === 0 },
      };
    }
    let at: number;
    if (s.cdcStart === 'earliest') at = oldestLivePosition(gens, now, rt.model.cdc.ttlSeconds) ?? gens[0]!.startMs;
    else if (s.cdcStart === 'now') at = now;
    else at = Date.parse(s.cdcStart);
    const gen = generationAt(gens, at)!;
    return { ...base, genMs: gen.startMs, atMs: Math.max(at, gen.startMs), snapshot: null };
  }

  // ---- streaming -----------------------------------------------------------------------------

  private async streamStep(rt: TableRuntime, st: SlotCheckpoint): Promise<StepResult> {
    const s = this.ctx.settings;
    const now = this.ctx.now();
    const gens = await this.ctx.generations(rt);
    this.noteExpired(rt, st.atMs, now);
    const move = nextPositionStep(gens, st.genMs, st.atMs, now, rt.model.cdc.ttlSeconds);
    if (move.kind === 'switch' && st.toMs === null) {
      this.ctx.log.info({ table: rt.name, slot: this.ctx.slot, from: new Date(st.genMs).toISOString(), to: new Date(move.toGenMs).toISOString(), reason: move.reason }, 'switching generation');
      sourceGenerationSwitches.inc({ table: metricTable(rt.name), reason: move.reason });
      // Start the new generation at its own start even if the old streams were read past it (a
      // stream set we learnt about late): the new streams have not been read yet.
      const next: SlotCheckpoint = { ...st, genMs: move.toGenMs, atMs: move.atMs, toMs: null, partial: {} };
      await this.commit(rt, { records: [] }, next);
      return 'worked';
    }
    const gen = gens.find((g) => g.startMs === st.genMs);
    if (!gen) return 'idle';
    const units = unitsForSlot(gen.units, this.ctx.slot, this.ctx.slots);
    const windowMs = this.windowMs.get(rt.name) ?? s.cdcQueryWindowMs;
    const input = { atMs: st.atMs, nowMs: now, confidenceMs: s.cdcConfidenceWindowMs, windowMs, genEndMs: gen.endMs };
    let fromMs = st.atMs;
    let toMs: number;
    if (st.toMs !== null) {
      toMs = st.toMs; // resume the window a previous owner was emitting
    } else {
      let plan = planWindow(input);
      if (plan.kind !== 'read') return this.heartbeat(rt, st);
      if (units.length === 0) {
        // This slot owns no stream of this generation (more slots than units): follow time.
        const limit = probeLimit(input);
        this.state.set(rt.name, { ...st, atMs: limit });
        this.observeLag(rt, limit);
        return this.heartbeat(rt, this.state.get(rt.name)!);
      }
      if (plan.probeFirst) {
        const limit = probeLimit(input);
        const firsts = await Promise.all(units.map((u) => this.query('probe', () => this.ctx.logReader.probe(rt.model, u.streams as Buffer[], st.atMs, limit))));
        const found = firsts.filter((x): x is number => x !== null);
        const jump = jumpAfterProbe(st.atMs, limit, found.length > 0 ? Math.min(...found) : null);
        if (jump > st.atMs) {
          this.ctx.log.debug({ table: rt.name, slot: this.ctx.slot, from: st.atMs, to: jump }, 'skipping empty log history');
          st = { ...st, atMs: jump };
          this.state.set(rt.name, st);
          plan = planWindow({ ...input, atMs: jump });
          if (plan.kind !== 'read') return this.heartbeat(rt, st);
        }
      }
      fromMs = plan.fromMs;
      toMs = plan.toMs;
    }

    // Read every unit of the window (a few at a time), then emit in unit order.
    const unitRows: CdcLogRow[][] = new Array(units.length);
    let next = 0;
    let drift = false;
    const readOne = async () => {
      while (next < units.length) {
        const i = next++;
        const rows: CdcLogRow[] = [];
        await this.query('window', async () => {
          for await (const page of this.ctx.logReader.readWindow(rt.model, units[i]!.streams as Buffer[], fromMs, toMs)) {
            if (!drift && hasDrift(logColumnDrift(rt.model, page.columns))) drift = true;
            rows.push(...page.rows);
          }
        });
        unitRows[i] = rows;
      }
    };
    await Promise.all(Array.from({ length: Math.min(s.readConcurrency, units.length) }, readOne));
    if (drift) {
      const before = rt.model.columns.map((c) => c.name).join(',');
      rt = await this.ctx.refreshTable(rt.name);
      this.ctx.log.info({ table: rt.name, before, after: rt.model.columns.map((c) => c.name).join(',') }, 'table schema changed: using the new schema');
    }
    const total = unitRows.reduce((n, r) => n + r.length, 0);
    sourceLogRowsRead.inc({ table: metricTable(rt.name) }, total);
    this.windowMs.set(rt.name, adaptWindowMs(windowMs, total, s.sourceMaxBatchRecords, s.cdcQueryWindowMs));

    // Emit, splitting into several transactions when large; `partial` tracks what is out.
    let cur: SlotCheckpoint = { ...st, atMs: fromMs, toMs, partial: { ...st.partial } };
    let pending: Pending = { records: [] };
    const ctxEnv = { sourceName: s.sourceName, version: s.version, nowMs: this.ctx.now() };
    for (let i = 0; i < units.length; i++) {
      const byStream = new Map<string, CdcLogRow[]>();
      for (const r of unitRows[i]!) {
        const h = hex(r.streamId);
        let list = byStream.get(h);
        if (!list) byStream.set(h, (list = []));
        list.push(r);
      }
      for (const stream of units[i]!.streams) {
        const h = hex(stream);
        const mark = cur.partial[h];
        if (mark === DONE) continue;
        const keep = createResumeFilter(mark ? { lastTime: mark } : undefined);
        const rows = (byStream.get(h) ?? []).filter(keep);
        const { changes, rest } = groupChangeRows(rows);
        if (rest.length > 0) changes.push({ streamId: rest[0]!.streamId, time: rest[0]!.time, timeMicros: rest[0]!.timeMicros, rows: rest });
        for (const ch of changes) {
          for (const rec of buildChangeRecords(rt.model, ch, ctxEnv, (op) => this.ctx.log.warn({ op, table: rt.name }, 'unknown cdc$operation: skipped'))) {
            pending.records.push({ rt, rec });
          }
          if (pending.records.length >= s.sourceMaxBatchRecords) {
            cur = { ...cur, partial: { ...cur.partial, [h]: ch.time } };
            await this.commit(rt, pending, cur);
            pending = { records: [] };
          }
        }
        cur = { ...cur, partial: { ...cur.partial, [h]: DONE } };
      }
    }
    const done: SlotCheckpoint = { ...cur, atMs: toMs, toMs: null, partial: {} };
    if (pending.records.length > 0 || st.toMs !== null || Object.keys(st.partial).length > 0) {
      await this.commit(rt, pending, done);
    } else {
      this.state.set(rt.name, done);
      await this.heartbeat(rt, done);
    }
    this.observeLag(rt, toMs);
    return total > 0 ? 'worked' : 'idle';
  }

  private observeLag(rt: TableRuntime, positionMs: number): void {
    const labels = { table: metricTable(rt.name), slot: String(this.ctx.slot) };
    sourceWindowLag.set(labels, Math.max(0, (this.ctx.now() - positionMs) / 1000));
    sourceSlotPosition.set(labels, positionMs / 1000);
  }

  /** Persists progress made through empty windows every `heartbeatMs`. */
  private async heartbeat(rt: TableRuntime, st: SlotCheckpoint): Promise<StepResult> {
    const last = this.lastCommitMs.get(rt.name) ?? 0;
    if (this.ctx.now() - last >= this.ctx.settings.heartbeatMs) await this.commit(rt, { records: [] }, st);
    return 'idle';
  }

  private async query<T>(kind: string, fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      sourceQueries.inc({ kind, outcome: 'ok' });
      return r;
    } catch (err) {
      sourceQueries.inc({ kind, outcome: 'error' });
      throw new ReplicatorError('CDC_SCYLLA', `${kind} query failed: ${(err as Error).message}`, true, { cause: err });
    }
  }

  private async commit(rt: TableRuntime, pending: Pending, next: SlotCheckpoint): Promise<void> {
    const ckpt: SlotCheckpoint = { ...next, slots: this.ctx.slots, writtenAtMs: this.ctx.now() };
    const byTopic = new Map<string, Message[]>();
    for (const { rt: r, rec } of pending.records) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push({
        key: r.codec.encodeKey(rec.key),
        value: r.codec.encodeValue(rec.value),
        partition: partitionFor(r.codec.partitionKeyBytes(rec.partitionKey), r.partitions),
      });
    }
    const batches: TopicBatch[] = [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages }));
    batches.push({ topic: this.ctx.store.topic, messages: [this.ctx.store.message(ckpt)] });
    const t0 = performance.now();
    let written;
    try {
      written = await this.ctx.emitter.commit(batches);
    } catch (err) {
      sourceTransactions.inc({ outcome: isFencedError(err) ? 'fenced' : 'failed' });
      throw err;
    }
    sourceTransactionSeconds.observe((performance.now() - t0) / 1000);
    sourceTransactions.inc({ outcome: 'committed' });
    for (const { rt: r, rec } of pending.records) {
      recordsReplicated.inc({ table: metricTable(r.name), op: rec.op });
      if (rec.op === 'r') sourceSnapshotRows.inc({ table: metricTable(r.name) });
    }
    this.state.set(rt.name, ckpt);
    this.lastCommitMs.set(rt.name, ckpt.writtenAtMs);
    this.progressMs = ckpt.writtenAtMs;
    const partition = this.ctx.store.partitionOf(this.ctx.slot);
    const at = written.find((w) => w.topicName === this.ctx.store.topic && w.partition === partition);
    const offset = BigInt(at?.baseOffset ?? at?.offset ?? -1);
    if (offset >= 0n) this.committedAt.set(rt.name, offset);
  }

  // ---- snapshot ------------------------------------------------------------------------------

  private async snapshotStep(rt: TableRuntime, st: SlotCheckpoint): Promise<StepResult> {
    const snap = st.snapshot!;
    const range = snap.ranges[snap.rangePos];
    if (!range) {
      await this.commit(rt, { records: [] }, { ...st, snapshot: { ...snap, done: true } });
      return 'worked';
    }
    const s = this.ctx.settings;
    const ctxEnv = { sourceName: s.sourceName, version: s.version, nowMs: this.ctx.now() };
    const tsMicros = snap.startMs * 1000;
    let cur = st;
    let pending: Pending = { records: [] };
    let lastCompleteToken: bigint | null = null;
    let openToken: bigint | null = null;
    let openRecords: SourceRecord[] = [];
    const after = snap.afterToken !== null ? BigInt(snap.afterToken) : BigInt(range[0]);
    await this.query('snapshot', async () => {
      for await (const page of this.ctx.snapshotReader.readRange(rt.model, after, BigInt(range[1]))) {
        for (const { token, row } of page) {
          if (openToken !== null && token !== openToken) {
            // the previous partition is complete: it may go out in this transaction
            for (const rec of openRecords) pending.records.push({ rt, rec });
            lastCompleteToken = openToken;
            openRecords = [];
            if (pending.records.length >= s.sourceMaxBatchRecords) {
              cur = { ...cur, snapshot: { ...cur.snapshot!, afterToken: lastCompleteToken.toString() } };
              await this.commit(rt, pending, cur);
              pending = { records: [] };
              if (this.stopping) return;
            }
          }
          openToken = token;
          openRecords.push(buildSnapshotRecord(rt.model, row, ctxEnv, tsMicros));
        }
      }
    });
    if (this.stopping && openToken !== null && pending.records.length === 0) return 'worked';
    for (const rec of openRecords) pending.records.push({ rt, rec });
    const nextPos = cur.snapshot!.rangePos + 1;
    const doneAll = nextPos >= cur.snapshot!.ranges.length;
    await this.commit(rt, pending, { ...cur, snapshot: { ...cur.snapshot!, rangePos: nextPos, afterToken: null, done: doneAll } });
    if (doneAll) this.ctx.log.info({ table: rt.name, slot: this.ctx.slot }, 'snapshot of slot finished');
    return 'worked';
  }
}
