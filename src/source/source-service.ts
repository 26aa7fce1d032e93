/**
 * Wires the source: ScyllaDB session and discovery, topics and schemas, the checkpoint store, the slot coordinator,
 * and one SlotWorker per assigned slot (sharing one SlotWake: slot-wake.ts). Exposes health and /status.
 *
 * Failure policy: a table that is missing or has no CDC is a configuration error (exit 2).
 * Everything else (ScyllaDB, Kafka or the registry unreachable or slow) is waited out with
 * backoff, reported as healthy=0, and resumed from committed checkpoints when it returns.
 */
import type cassandra from 'cassandra-driver';
import type { Admin, Kafka } from 'kafkajs';
import type { SourceConfig } from '../config/source-config.js';
import { ConfigError } from '../config/spec.js';
import type { Service } from '../lifecycle.js';
import type { Logger } from '../log/logger.js';
import { createKafka } from '../clients/kafka.js';
import { RegistryHttp } from '../clients/registry.js';
import type { StatusProvider } from '../metrics/http-server.js';
import { connectorHealthy, metricTable } from '../metrics/prom-registry.js';
import { sourceSchemaChanges, sourceSlotsOwned } from '../metrics/source-metrics.js';
import { VERSION } from '../version.js';
import { Backoff, sleep } from './backoff.js';
import { CheckpointStore, offsetsTopicName } from './checkpoint-store.js';
import { SlotEmitter } from './slot-emitter.js';
import { GenerationCache } from './generation-cache.js';
import { GenerationReader } from './generation-reader.js';
import { LogReader } from './log-reader.js';
import { createScyllaClient, keyspacesWithoutReplication, systemReadConsistency } from './scylla-session.js';
import { SchemaPublisher } from './schema-publisher.js';
import { SlotCoordinator, controlTopicName } from './slot-coordinator.js';
import { slotSettings, tableStatus, type TableRuntime } from './slot-context.js';
import { SlotWorker } from './slot-worker.js';
import { SlotWake } from './slot-wake.js';
import { SnapshotReader } from './snapshot-reader.js';
import { SignalWatcher, signalsTopicName } from './snapshot-signals.js';
import { requestProgress } from './core/snapshot-request.js';
import { expiredGapReasons, notStreamingReasons } from './core/slot-readiness.js';
import { TableSetupError, discoverTable, discoverTables, type DiscoveredTable } from './table-discovery.js';
import { topicFor } from '../core/topic-name.js';
import { ensureDataTopics, ensureSlotTopics } from './topic-admin.js';

export interface SourceServiceOptions {
  /** How often the signals topic's end is checked for new snapshot requests (default 2 s). */
  signalPollMs?: number;
  /** Session timeout of the slot group: a dead process's slots move after this. */
  groupSessionTimeoutMs?: number;
  heartbeatMs?: number;
  now?: () => number;
}

export { topicFor };

export class SourceService implements StatusProvider, Service {
  private client: cassandra.Client | undefined;
  private kafka: Kafka;
  private admin: Admin | undefined;
  private store: CheckpointStore | undefined;
  private signals: SignalWatcher | undefined;
  private coordinator: SlotCoordinator | undefined;
  private publisher: SchemaPublisher;
  private generationCache: GenerationCache | undefined;
  private logReader: LogReader | undefined;
  private snapshotReader: SnapshotReader | undefined;
  private readonly tables = new Map<string, TableRuntime>();
  private readonly workers = new Map<number, SlotWorker>();
  private readonly wake = new SlotWake();
  private readonly abort = new AbortController();
  private started = false;
  private startupProblem: string | undefined = 'starting';
  private assignment: number[] = [];
  private assignedOnce = false;
  private reconcile: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  /** Resolves when SNAPSHOT_MODE=initial_only finished every slot this process holds. */
  readonly snapshotFinished: Promise<void>;
  private resolveSnapshotFinished!: () => void;

  constructor(
    private readonly config: SourceConfig,
    private readonly log: Logger,
    private readonly options: SourceServiceOptions = {},
  ) {
    this.kafka = createKafka(config, log, '-source');
    this.publisher = new SchemaPublisher(new RegistryHttp(config));
    this.now = options.now ?? Date.now;
    this.snapshotFinished = new Promise((r) => (this.resolveSnapshotFinished = r));
    connectorHealthy.set({ component: 'source' }, 0);
  }

  // ---- StatusProvider ------------------------------------------------------------------------

  healthy(): boolean {
    const ok = this.started && this.startupProblem === undefined && [...this.workers.values()].every((w) => w.healthy);
    connectorHealthy.set({ component: 'source' }, ok ? 1 : 0);
    return ok;
  }

  /** Ready = every slot this process holds streams every configured table (issue 20). */
  ready(): boolean {
    return this.started && !this.abort.signal.aborted && this.notReadyReasons().length === 0;
  }

  /** Why this process is not ready: a slot or table not streaming (slot-readiness.ts), or changes the CDC log expired before a slot read them (noteExpired). */
  notReadyReasons(): string[] {
    if (this.abort.signal.aborted) return ['stopping'];
    const notStreaming = notStreamingReasons({
      started: this.started,
      startupProblem: this.startupProblem,
      assigned: this.assignedOnce ? this.assignment : undefined,
      sessionTimeoutMs: this.options.groupSessionTimeoutMs ?? this.config.sourceGroupSessionTimeoutMs,
      workers: this.workers,
    });
    return [...notStreaming, ...expiredGapReasons([...this.workers.values()].flatMap((w) => w.gaps))];
  }

  status(): unknown {
    return {
      component: 'source',
      version: VERSION,
      sourceName: this.config.sourceName,
      healthy: this.healthy(),
      problem: this.startupProblem ?? null,
      ready: this.ready(),
      notStreaming: this.notReadyReasons(),
      slots: { total: this.config.sourceSlots, assigned: this.assignment, memberId: this.coordinator?.memberId ?? null },
      tables: [...this.tables.values()].map(tableStatus),
      generations: this.generationCache?.summary() ?? {},
      workers: [...this.workers.values()].map((w) => w.status()),
      checkpoints: this.store?.all() ?? [],
      snapshots: requestProgress(this.signals?.all() ?? [], this.store?.all() ?? [], this.config.sourceSlots),
    };
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Start-up, one step after the other, each retried until it succeeds (a table missing or without CDC ends it: exit 2); a stop ends it after the current step. */
  async start(): Promise<void> {
    const signal = this.abort.signal;
    const client = await this.connectScylla();
    if (signal.aborted || !client) return;
    const models = await this.discoverTables(client);
    if (signal.aborted || !models) return;
    await this.retry('kafka', () => this.ensureTopics(models));
    if (signal.aborted) return;
    await this.retry('registry', () => this.publishSchemas());
    if (signal.aborted) return;
    const offsetsTopic = offsetsTopicName(this.config.sourceName);
    this.store = new CheckpointStore(this.kafka, this.admin!, offsetsTopic, this.config.sourceSlots, this.config.sourceName, this.log);
    await this.retry('checkpoints', () => this.store!.start());
    if (signal.aborted) return;
    this.signals = new SignalWatcher(this.kafka, this.admin!, signalsTopicName(this.config.sourceName), this.log, this.options.signalPollMs);
    this.signals.start();
    this.coordinator = this.createCoordinator();
    await this.retry('group', () => this.coordinator!.start());
    this.started = true;
    this.startupProblem = undefined;
    this.log.info({ tables: [...this.tables.keys()], slots: this.config.sourceSlots }, 'source started');
  }

  /** Connects to ScyllaDB and creates the readers that use the connection. */
  private async connectScylla(): Promise<cassandra.Client | undefined> {
    await this.retry('scylla', async () => {
      const { client } = createScyllaClient(this.config);
      try {
        await client.connect();
      } catch (err) {
        await client.shutdown().catch(() => undefined);
        throw err;
      }
      this.client = client;
    });
    if (this.abort.signal.aborted) return undefined;
    const client = this.client!;
    this.generationCache = new GenerationCache(new GenerationReader(client, () => systemReadConsistency(client)), this.config.cdcConfidenceWindowMs, this.now);
    this.logReader = new LogReader(client, this.config.cdcFetchSize, this.config.sourceMaxInflightBytes);
    this.snapshotReader = new SnapshotReader(client, this.config.snapshotFetchSize);
    return client;
  }

  /** Discovery: configuration errors stop start-up (exit 2); connectivity errors are retried. */
  private async discoverTables(client: cassandra.Client): Promise<DiscoveredTable[] | undefined> {
    const models = await this.retry('discovery', () => discoverTables(client, this.config.scyllaTables, this.config.scyllaExcludeColumns ?? []));
    if (this.abort.signal.aborted || !models) return models;
    const unplaced = keyspacesWithoutReplication(
      client,
      models.map((m) => m.model.keyspace),
    );
    if (unplaced.length > 0) {
      this.log.warn(
        { keyspaces: unplaced },
        "the driver does not know these keyspaces' replication (cassandra-driver installed without patches/cassandra-driver+4.10.0.patch?): log reads go to the primary replica only",
      );
    }
    return models;
  }

  /** The slots' own topics and one data topic per table; fills `tables`. */
  private async ensureTopics(models: DiscoveredTable[]): Promise<void> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const admin = this.admin;
    await ensureSlotTopics(admin, this.config.sourceName, this.config.sourceSlots, this.config.kafkaTopicReplication, this.log);
    const specs = models.map((m) => m.model);
    const topics = await ensureDataTopics(admin, this.config, specs);
    models.forEach((m, i) => {
      const { topic, partitions } = topics[i]!;
      const existing = this.tables.get(m.name);
      if (existing) existing.partitions = partitions;
      else this.tables.set(m.name, { name: m.name, topic, partitions, mode: m.mode, model: m.model, codec: undefined as unknown as TableRuntime['codec'] });
    });
  }

  /** Registers each table's key and value schemas (BACKWARD) and keeps their codecs. */
  private async publishSchemas(): Promise<void> {
    for (const t of this.tables.values()) t.codec = await this.publisher.codecFor(t.topic, t.model);
  }

  private createCoordinator(): SlotCoordinator {
    return new SlotCoordinator(
      this.kafka,
      controlTopicName(this.config.sourceName),
      `_scylla-pg-cdc.${this.config.sourceName}.source`,
      this.options.groupSessionTimeoutMs ?? this.config.sourceGroupSessionTimeoutMs,
      {
        onRebalancing: () => undefined,
        onAssigned: (slots) => this.assign(slots),
      },
      this.log,
    );
  }

  /** Retries `fn` with backoff until it succeeds or the service stops; TableSetupError is fatal. */
  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    const backoff = new Backoff(500, 15_000);
    while (!this.abort.signal.aborted) {
      try {
        return await fn();
      } catch (err) {
        // Configuration (a missing table, a changed SOURCE_SLOTS): no retry can fix it, exit 2.
        if (err instanceof TableSetupError || err instanceof ConfigError) throw err;
        this.startupProblem = `${what}: ${(err as Error).message}`;
        connectorHealthy.set({ component: 'source' }, 0);
        const wait = backoff.next();
        this.log.warn({ err, attempt: backoff.failures, retryInMs: wait }, `${what} not available; retrying`);
        await sleep(wait, this.abort.signal);
      }
    }
    return undefined;
  }

  private assign(slots: number[]): void {
    this.assignment = slots;
    this.assignedOnce = true;
    // serialise reconciliations: a slot is released (transaction finished) before it is retaken
    this.reconcile = this.reconcile.then(() => this.reconcileWorkers(slots)).catch((err: unknown) => this.log.error({ err }, 'slot reconciliation failed'));
  }

  private async reconcileWorkers(slots: number[]): Promise<void> {
    if (this.abort.signal.aborted) return;
    const wanted = new Set(slots);
    await Promise.all(
      [...this.workers.entries()]
        .filter(([slot]) => !wanted.has(slot))
        .map(async ([slot, w]) => {
          this.log.info({ slot }, 'releasing slot');
          await w.stop();
          this.workers.delete(slot);
        }),
    );
    for (const slot of slots) {
      if (this.workers.has(slot) && !this.workers.get(slot)!.stopped) continue;
      this.startWorker(slot);
    }
    sourceSlotsOwned.set(this.workers.size);
  }

  private startWorker(slot: number): void {
    const emitter = new SlotEmitter(this.kafka, `_scylla-pg-cdc.${this.config.sourceName}.slot-${slot}`, this.config.kafkaTransactionTimeoutMs, this.log);
    const worker = new SlotWorker({
      slot,
      slots: this.config.sourceSlots,
      settings: slotSettings(this.config, this.options.heartbeatMs ?? this.config.sourceCheckpointIntervalMs),
      log: this.log,
      tables: () => [...this.tables.values()],
      generations: (t) => this.generationCache!.list(t),
      refreshTable: (name) => this.refreshTable(name),
      logReader: this.logReader!,
      snapshotReader: this.snapshotReader!,
      store: this.store!,
      emitter,
      wake: this.wake,
      now: this.now,
      snapshotRequest: (table) => this.signals?.request(table),
    });
    this.workers.set(slot, worker);
    worker.start((err) => {
      if (err) this.log.error({ err, slot }, 'slot worker ended with an error');
      if (this.workers.get(slot) === worker && !this.abort.signal.aborted && this.assignment.includes(slot)) {
        // fenced although still assigned (an overlap during rebalance): try to take it back later
        setTimeout(() => {
          if (this.workers.get(slot) === worker && this.assignment.includes(slot) && !this.abort.signal.aborted) this.assign(this.assignment);
        }, 2_000).unref();
      }
    });
    if (this.config.snapshotMode === 'initial_only') void this.watchSnapshot();
  }

  private async watchSnapshot(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const ws = [...this.workers.values()];
      if (this.assignment.length === this.config.sourceSlots && ws.length === this.config.sourceSlots && ws.every((w) => w.snapshotDone)) {
        this.resolveSnapshotFinished();
        return;
      }
      await sleep(500, this.abort.signal);
    }
  }

  private async refreshTable(name: string): Promise<TableRuntime> {
    const rt = this.tables.get(name)!;
    const model = await discoverTable(this.client!, name, { refresh: true, exclude: this.config.scyllaExcludeColumns ?? [] });
    const codec = await this.publisher.codecFor(rt.topic, model);
    if (codec.fingerprint !== rt.codec.fingerprint) sourceSchemaChanges.inc({ table: metricTable(name) });
    rt.model = model;
    rt.codec = codec;
    return rt;
  }

  async stop(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    // Stop reading first (finish or abort open transactions), then leave the group so the
    // slots move immediately instead of after the session timeout.
    await this.reconcile;
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
    sourceSlotsOwned.set(0);
    await this.coordinator?.stop();
    await this.signals?.stop();
    await this.store?.stop();
    await this.admin?.disconnect().catch(() => undefined);
    await this.client?.shutdown().catch(() => undefined);
    connectorHealthy.set({ component: 'source' }, 0);
  }
}
