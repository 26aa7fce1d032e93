/**
 * Reads one slot: for every table, the slot's stream units of the current generation, window by
 * window, and commits each window's records together with the slot's checkpoint in one Kafka
 * transaction. Also runs the slot's share of the initial snapshot, and of on-demand snapshots
 * beside the stream (resync-step.ts).
 *
 * Invariant: `state` only moves forward past data once the transaction carrying that data has
 * committed. Empty windows move it without a transaction (re-reading them after a crash is
 * harmless); a heartbeat transaction persists such progress every few seconds.
 */
import { isRetriable, ReplicatorError } from '../core/errors.js';
import { metricTable, recordsReplicated } from '../metrics/prom-registry.js';
import { sourceCheckpointGaps, sourceSlotPosition, sourceSnapshotRows, sourceTransactions, sourceTransactionSeconds, sourceWindowLag } from '../metrics/source-metrics.js';
import { Backoff, sleep } from './backoff.js';
import type { SourceRecord } from './core/build-envelope.js';
import type { SlotCheckpoint } from './core/checkpoint.js';
import { expiredWindow } from './core/generation-plan.js';
import { initialCheckpoint } from './core/initial-checkpoint.js';
import { STALLED_AFTER_MS, tableReadiness, unconfiguredTables, type SlotPhase, type TableReadiness } from './core/slot-readiness.js';
import { RecordBatch } from './record-batch.js';
import type { SlotContext, SlotStepHost, StepResult, TableRuntime } from './slot-context.js';
import type { TopicBatch } from './slot-emitter.js';
import { isFencedError } from './slot-emitter.js';
import { streamAndResyncStep } from './resync-step.js';
import { snapshotStep } from './snapshot-step.js';
import { SlotPacer } from './slot-pacer.js';

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
  private readonly windowMs = new Map<string, number>();
  /** Readable log left behind the windows of the current pass (slot-pacer.ts); null: no window read. */
  private readableMs: number | null = null;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  healthy = true;
  lastError: string | undefined;
  /** Windows whose log rows expired before this slot read them (kept until the process restarts). */
  readonly gaps: { table: string; fromMs: number; toMs: number }[] = [];
  private readonly gapReportedUntil = new Map<string, number>();
  snapshotDone = false;
  stopped = false;

  /** What the per-table steps (stream-step.ts, snapshot-step.ts) may do to this worker. */
  private readonly host: SlotStepHost;

  constructor(private readonly ctx: SlotContext) {
    this.host = {
      ctx,
      stopping: () => this.stopping,
      commit: (rt, records, next) => this.commit(rt, records, next),
      state: (table) => this.state.get(table),
      setState: (table, st) => void this.state.set(table, st),
      heartbeat: (rt, st) => this.heartbeat(rt, st),
      noteExpired: (rt, atMs, nowMs) => this.noteExpired(rt, atMs, nowMs),
      observeLag: (rt, positionMs) => this.observeLag(rt, positionMs),
      windowMs: this.windowMs,
    };
  }

  get slot(): number {
    return this.ctx.slot;
  }

  /** Per configured table: streaming, or why not (for /readyz and status). */
  readiness(): TableReadiness[] {
    const now = this.ctx.now();
    const phase: SlotPhase = this.phase.kind === 'running' && now - this.progressMs > STALLED_AFTER_MS ? { kind: 'stalled', sinceMs: this.progressMs } : this.phase;
    return tableReadiness(
      phase,
      this.ctx.tables().map((t) => t.name),
      this.state,
      now,
    );
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
        snapshot: s.snapshot
          ? {
              requestId: s.snapshot.requestId ?? null,
              startMs: s.snapshot.startMs,
              rangesDone: s.snapshot.done ? s.snapshot.ranges.length : s.snapshot.rangePos,
              ranges: s.snapshot.ranges.length,
              done: s.snapshot.done,
            }
          : null,
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
    const pacer = new SlotPacer({ slot, minMs: this.ctx.settings.cdcPollIntervalMs, wake: this.ctx.wake, now: this.ctx.now });
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
          this.readableMs = null;
          for (const rt of this.ctx.tables()) {
            if (this.stopping) break;
            if ((await this.step(rt)) === 'worked') worked = true;
          }
          this.snapshotDone = this.ctx.tables().every((rt) => this.state.get(rt.name)?.snapshot?.done !== false || this.state.get(rt.name)?.snapshot?.requestId !== undefined);
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
        await pacer.afterPass(worked, this.readableMs, this.abort.signal);
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
        throw new ReplicatorError(
          'CDC_KAFKA',
          `checkpoint of ${table} in slot ${slot} read at offset ${read ?? 'none'}, older than the one this slot committed (${mine}): not resuming from a stale read`,
          true,
        );
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
      const gens = await this.ctx.generations(rt);
      if (gens.length === 0) return 'idle'; // no generation yet (fresh cluster): wait
      const s = this.ctx.settings;
      st = initialCheckpoint({
        table: rt.name,
        slot: this.ctx.slot,
        slots: this.ctx.slots,
        gens,
        nowMs: this.ctx.now(),
        ttlSeconds: rt.model.cdc.ttlSeconds,
        snapshotMode: s.snapshotMode,
        cdcStart: s.cdcStart,
        confidenceMs: s.cdcConfidenceWindowMs,
      });
      this.state.set(rt.name, st);
    }
    // the initial snapshot runs alone (streaming starts from its start); an on-demand one runs beside the stream
    if (st.snapshot && !st.snapshot.done && st.snapshot.requestId === undefined) return snapshotStep(this.host, rt, st);
    if (this.ctx.settings.snapshotMode === 'initial_only') return 'idle';
    return streamAndResyncStep(this.host, rt, st);
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

  private observeLag(rt: TableRuntime, positionMs: number): void {
    const labels = { table: metricTable(rt.name), slot: String(this.ctx.slot) };
    const now = this.ctx.now();
    const readable = now - this.ctx.settings.cdcConfidenceWindowMs - positionMs;
    this.readableMs = this.readableMs === null ? readable : Math.max(this.readableMs, readable);
    sourceWindowLag.set(labels, Math.max(0, (now - positionMs) / 1000));
    sourceSlotPosition.set(labels, positionMs / 1000);
  }

  /** Persists progress made through empty windows every `heartbeatMs`. */
  private async heartbeat(rt: TableRuntime, st: SlotCheckpoint): Promise<StepResult> {
    const last = this.lastCommitMs.get(rt.name) ?? 0;
    if (this.ctx.now() - last >= this.ctx.settings.heartbeatMs) await this.commit(rt, [], st);
    return 'idle';
  }

  private async commit(rt: TableRuntime, records: SourceRecord[] | RecordBatch, next: SlotCheckpoint): Promise<void> {
    const ckpt: SlotCheckpoint = { ...next, slots: this.ctx.slots, writtenAtMs: this.ctx.now() };
    const batch = records instanceof RecordBatch ? records : RecordBatch.of(rt, records, this.ctx.logReader.inflight);
    const batches: TopicBatch[] = batch.length > 0 ? [{ topic: rt.topic, messages: batch.messages }] : [];
    batches.push({ topic: this.ctx.store.topic, messages: [this.ctx.store.message(ckpt)] });
    const t0 = performance.now();
    let written;
    try {
      written = await this.ctx.emitter.commit(batches);
    } catch (err) {
      sourceTransactions.inc({ outcome: isFencedError(err) ? 'fenced' : 'failed' });
      throw err;
    } finally {
      batch.release();
    }
    sourceTransactionSeconds.observe((performance.now() - t0) / 1000);
    sourceTransactions.inc({ outcome: 'committed' });
    for (const [op, n] of batch.ops) {
      recordsReplicated.inc({ table: metricTable(rt.name), op }, n);
      if (op === 'r') sourceSnapshotRows.inc({ table: metricTable(rt.name) }, n);
    }
    this.state.set(rt.name, ckpt);
    this.lastCommitMs.set(rt.name, ckpt.writtenAtMs);
    this.progressMs = ckpt.writtenAtMs;
    const partition = this.ctx.store.partitionOf(this.ctx.slot);
    const at = written.find((w) => w.topicName === this.ctx.store.topic && w.partition === partition);
    const offset = BigInt(at?.baseOffset ?? at?.offset ?? -1);
    if (offset >= 0n) this.committedAt.set(rt.name, offset);
  }
}
