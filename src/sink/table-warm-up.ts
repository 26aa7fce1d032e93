/**
 * At assignment, before the first record: each newly assigned topic's schemas are looked up in the
 * registry (the newest under `<topic>-key` / `<topic>-value`, what the source registered at its
 * start) and its target table is resolved (created, evolved, its companions made: table-manager.ts),
 * and the flush lanes' PostgreSQL connections are opened. Without it the first batches of a topic
 * paid for all of it (table DDL, catalog reads, registry round trips, new connections) while the
 * first changes waited, the largest part of the first second's end-to-end latency (issue 14).
 *
 * Only a head start: nothing here is needed for correctness (the first batch resolves its own table
 * as before, and a record of another schema evolves the table then), so failures are logged at
 * debug and forgotten. A topic is warmed once per process; later batches hit the table cache. A
 * topic assigned before its schemas are registered (sink and source starting together) is looked
 * for again every second for half a minute.
 */
import type { Pool, PoolClient } from 'pg';
import type { SinkConfig } from '../config/sink-config.js';
import type { Logger } from '../log/logger.js';
import { SchemaCache } from './core/decode-record.js';
import { topicTarget } from './core/topic-target.js';
import type { SchemaFetcher } from './schema-fetcher.js';
import type { TableManager } from './table-manager.js';

/** What the warm-up reads of the sink's configuration. */
export type WarmUpConfig = Pick<SinkConfig, 'sinkFlushConcurrency' | 'kafkaTopicTemplate'>;

/** A topic assigned before its source registered its schemas is looked for again, this many times. */
const TRIES = 30;

export class TableWarmUp {
  /** Topics whose table was resolved, or is being looked for. */
  private readonly taken = new Set<string>();
  private readonly shapes: SchemaCache;
  private readonly active = new Set<Promise<void>>();

  /** `running`: false once the sink stops (a topic is not looked for again then); `retryMs`: tests shorten it. */
  constructor(
    private readonly fetcher: Pick<SchemaFetcher, 'latest' | 'known'>,
    private readonly tables: Pick<TableManager, 'target'>,
    private readonly pool: Pick<Pool, 'connect'>,
    private readonly cfg: WarmUpConfig,
    private readonly log: Logger,
    private readonly running: () => boolean,
    private readonly retryMs = 1_000,
  ) {
    this.shapes = new SchemaCache((id) => fetcher.known(id) ?? undefined);
  }

  /** Starts warming the topics not warmed yet, in the background. */
  start(topics: Iterable<string>): void {
    const fresh = [...new Set(topics)].filter((t) => !this.taken.has(t));
    for (const t of fresh) this.taken.add(t);
    if (fresh.length === 0) return;
    const p = this.warm(fresh).finally(() => this.active.delete(p));
    this.active.add(p);
  }

  /** Resolves once every warm-up started so far is done. */
  async idle(): Promise<void> {
    await Promise.all(this.active);
  }

  private async warm(topics: string[]): Promise<void> {
    const connecting = this.openConnections();
    let left = topics;
    for (let attempt = 0; left.length > 0 && attempt < TRIES && this.running(); attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.retryMs).unref());
      const unregistered: string[] = [];
      for (const topic of left) if ((await this.warmTopic(topic)) === 'unregistered') unregistered.push(topic);
      left = unregistered;
    }
    for (const t of left) this.taken.delete(t); // a later assignment looks again
    await connecting;
  }

  private async warmTopic(topic: string): Promise<'done' | 'unregistered'> {
    try {
      const key = await this.fetcher.latest(`${topic}-key`);
      const value = await this.fetcher.latest(`${topic}-value`);
      if (!key || !value) return 'unregistered';
      const { shape } = this.shapes.shape(key.id, value.id);
      const t = topicTarget(topic, this.cfg.kafkaTopicTemplate);
      await this.tables.target(t.table, shape, { topic, ...(t.keyspace !== undefined ? { keyspace: t.keyspace } : {}) });
    } catch (err) {
      this.log.debug({ err, topic }, 'warm-up of the topic’s table failed; its first batch resolves it');
    }
    return 'done';
  }

  /** Opens the lanes' connections together and gives them back to the pool (idle ones stay open). */
  private async openConnections(): Promise<void> {
    const clients = await Promise.allSettled(Array.from({ length: this.cfg.sinkFlushConcurrency }, () => this.pool.connect()));
    for (const c of clients) if (c.status === 'fulfilled') (c.value as PoolClient).release();
  }
}
