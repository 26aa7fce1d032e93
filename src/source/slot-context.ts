/**
 * What a slot worker is given (SlotContext, by the source service) and what its per-table steps
 * are given (SlotStepHost, by the worker): the streaming step (stream-step.ts) and the snapshot
 * step (snapshot-step.ts) read and build records, the worker owns the state and the transactions.
 */
import type { SourceConfig } from '../config/source-config.js';
import type { Logger } from '../log/logger.js';
import type { TableModel } from '../schema/table-model.js';
import type { SourceRecord } from './core/build-envelope.js';
import type { SlotCheckpoint } from './core/checkpoint.js';
import type { Generation } from './core/generation-plan.js';
import type { SnapshotRequest } from './core/snapshot-request.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { LogReader } from './log-reader.js';
import type { RecordBatch } from './record-batch.js';
import type { TableCodec } from './schema-publisher.js';
import type { SlotEmitter } from './slot-emitter.js';
import type { SnapshotReader } from './snapshot-reader.js';
import type { SlotWake } from './slot-wake.js';
import type { KeyspaceMode } from './table-discovery.js';
import { VERSION } from '../version.js';

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
  streamsPerQuery: number;
}

/** A slot worker's settings from the source's configuration (`heartbeatMs`: tests shorten it). */
export function slotSettings(config: SourceConfig, heartbeatMs: number): SlotSettings {
  return {
    cdcQueryWindowMs: config.cdcQueryWindowMs,
    cdcConfidenceWindowMs: config.cdcConfidenceWindowMs,
    cdcPollIntervalMs: config.cdcPollIntervalMs,
    cdcStart: config.cdcStart,
    snapshotMode: config.snapshotMode,
    sourceMaxBatchRecords: config.sourceMaxBatchRecords,
    sourceName: config.sourceName,
    version: VERSION,
    heartbeatMs,
    readConcurrency: config.sourceReadConcurrency,
    streamsPerQuery: config.sourceStreamsPerQuery,
  };
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
  /** Shared by the process's slots: the first to read rows after idling wakes the others. */
  wake: SlotWake;
  now(): number;
  /** The latest on-demand snapshot request for the table (snapshot-signals.ts), if any. */
  snapshotRequest(table: string): SnapshotRequest | undefined;
}

/** 'worked' when the step moved data (the loop polls again at once), 'idle' otherwise. */
export type StepResult = 'worked' | 'idle';

export interface SlotStepHost {
  readonly ctx: SlotContext;
  /** The worker is stopping: a long step ends after its current transaction. */
  stopping(): boolean;
  /** One Kafka transaction: the records and `next`; `next` becomes the table's state once committed. */
  commit(rt: TableRuntime, records: SourceRecord[] | RecordBatch, next: SlotCheckpoint): Promise<void>;
  /** The table's current state (what the last step committed or moved to). */
  state(table: string): SlotCheckpoint | undefined;
  /** Moves the table's state without a transaction (empty windows: re-reading them is harmless). */
  setState(table: string, st: SlotCheckpoint): void;
  /** Persists progress through empty windows every `heartbeatMs`. */
  heartbeat(rt: TableRuntime, st: SlotCheckpoint): Promise<StepResult>;
  /** Reports (once per window) a position the CDC log TTL has overtaken. */
  noteExpired(rt: TableRuntime, atMs: number, nowMs: number): void;
  observeLag(rt: TableRuntime, positionMs: number): void;
  /** The table's adapted window size (reset when the slot re-opens). */
  readonly windowMs: Map<string, number>;
}

/** A table's entry in the source's /status. */
export function tableStatus(t: TableRuntime) {
  const { name: table, topic, partitions, mode, model, codec } = t;
  return { table, topic, partitions, mode, cdc: model.cdc, columns: model.columns.length, keySchemaId: codec?.keyId ?? null, valueSchemaId: codec?.valueId ?? null };
}
