/**
 * The source's signals topic `_scylla-pg-cdc.<SOURCE_NAME>.signals` (compacted, one partition, key =
 * table): `scylla-pg-cdc snapshot --table` writes a request there, every source process follows it.
 *
 * Following is cheap: the watcher asks for the topic's end offset every `pollMs` and reads the topic
 * (read_committed, to its end) only when the end moved, so an idle source costs one ListOffsets
 * request per poll and no consumer group. A slot acts on a request only through its own
 * checkpoint (resync-step.ts), so a request seen late, twice, or by two processes is harmless.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import { readTopicToEnd } from '../clients/topic-reader.js';
import { decodeSnapshotRequest, type SnapshotRequest } from './core/snapshot-request.js';
import { sleep } from './backoff.js';

export function signalsTopicName(sourceName: string): string {
  return `_scylla-pg-cdc.${sourceName}.signals`;
}

/** The latest request per table in `records` (offset order; a null value clears the table). */
export function latestRequests(records: readonly { key: Buffer | null; value: Buffer | null }[], log?: Logger): Map<string, SnapshotRequest> {
  const out = new Map<string, SnapshotRequest>();
  for (const m of records) {
    const table = m.key?.toString('utf8');
    if (!table) continue;
    try {
      const req = decodeSnapshotRequest(m.value);
      if (req) out.set(table, req);
      else out.delete(table);
    } catch (err) {
      log?.error({ err, table }, 'ignoring unreadable snapshot request');
    }
  }
  return out;
}

export class SignalWatcher {
  private requests = new Map<string, SnapshotRequest>();
  private readEnd = -1n;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  lastError: string | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly topic: string,
    private readonly log: Logger,
    private readonly pollMs = 2_000,
  ) {}

  request(table: string): SnapshotRequest | undefined {
    return this.requests.get(table);
  }

  all(): SnapshotRequest[] {
    return [...this.requests.values()];
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        await this.poll();
        this.lastError = undefined;
      } catch (err) {
        // Kafka away: the slots go on with what they know; the next poll tries again
        if (this.lastError === undefined) this.log.warn({ err, topic: this.topic }, 'reading snapshot requests failed; retrying');
        this.lastError = (err as Error).message;
      }
      await sleep(this.pollMs, this.abort.signal);
    }
  }

  /** Reads the topic again when its end moved; the requests become visible all at once. */
  async poll(): Promise<void> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    const end = offsets.reduce((n, o) => n + BigInt(o.high), 0n);
    if (end === this.readEnd) return;
    const records = await readTopicToEnd(this.kafka, this.topic, Number.POSITIVE_INFINITY, 60_000);
    const next = latestRequests(records, this.log);
    for (const [table, req] of next) {
      if (this.requests.get(table)?.id !== req.id) this.log.info({ table, request: req.id, requestedAt: new Date(req.requestedAtMs).toISOString() }, 'snapshot requested');
    }
    this.requests = next;
    this.readEnd = end;
  }
}
