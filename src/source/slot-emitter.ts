/**
 * One transactional producer per slot: each `commit` is one Kafka transaction holding the
 * slot's records and the checkpoints they advance, so a read_committed consumer sees both or
 * neither (docs/source.md, "Exactly once"). The transactional id is derived from the slot: whoever opens the slot
 * next fences this producer (InitProducerId bumps the epoch and aborts our open transaction).
 *
 * kafkajs quirks handled here (the kafkajs issues below):
 * - idempotent + maxInFlightRequests 1 (no sequence re-assignment for >1 in flight, #598);
 * - CONCURRENT_TRANSACTIONS after a commit or a crashed predecessor (#1315, #296): kafkajs
 *   retries inside; we retry the whole transaction with backoff on top;
 * - a failed abort leaves the producer stuck in ABORTING (#1355): the producer is recreated;
 * - a small, configurable transaction timeout bounds how long a dead owner blocks the slot.
 */
import type { Kafka, Message, Producer, RecordMetadata } from 'kafkajs';
import { isFenced, ReplicatorError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';

export interface TopicBatch {
  topic: string;
  messages: Message[];
}

/**
 * Broker answers that mean a newer producer holds the transactional id, by kafkajs error `type`.
 * kafkajs 2.2.4 speaks InitProducerId, AddPartitionsToTxn and EndTxn v0–1, to which the broker
 * reports a fenced producer as INVALID_PRODUCER_EPOCH (47): PRODUCER_FENCED (90, KIP-588) is only
 * sent from v2 of EndTxn / AddPartitionsToTxn and v4 of InitProducerId on (Kafka's
 * clients/src/main/resources/common/message/*Response.json), and kafkajs has no type for it anyway
 * ("Unknown error code 90"). It stays in the set for a kafkajs that learns it.
 */
const FENCED_TYPES = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/**
 * Whether `err` (or an error it wraps) says the slot's producer was fenced: our CDC_FENCED, or a
 * kafkajs protocol error of a fenced type. kafkajs keeps the type when it wraps: its retrier turns
 * a non-retriable protocol error into a KafkaJSNonRetriableError (and an exhausted retriable one
 * into KafkaJSNumberOfRetriesExceeded) whose `cause` is the protocol error (kafkajs
 * src/retry/index.js), so the `cause` chain is walked; the message text is never needed.
 */
export function isFencedError(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (isFenced(e)) return true;
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && FENCED_TYPES.has(type)) return true;
  }
  return false;
}

export class SlotEmitter {
  private producer: Producer | undefined;
  /** Calls given up so far (see `bounded`). */
  private abandoned = 0;

  constructor(
    private readonly kafka: Kafka,
    readonly transactionalId: string,
    private readonly transactionTimeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** Connects and fences any previous owner of the slot (an empty transaction forces InitProducerId). */
  async open(): Promise<void> {
    await this.bounded('opening', async () => {
      const p = await this.ensureProducer();
      const tx = await p.transaction();
      await tx.abort();
    });
  }

  /**
   * kafkajs can leave a call pending forever after a broker restart (seen in the restart test: a
   * slot silent for minutes, no error). A call that outlives the transaction timeout (at most
   * 30 s) is given up: the producer is dropped and the slot re-opens, which bumps the epoch, so
   * the abandoned transaction can neither commit later nor duplicate anything.
   */
  private async bounded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const limitMs = Math.min(this.transactionTimeoutMs, 30_000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new ReplicatorError('CDC_KAFKA', `${what} ${this.transactionalId} did not return within ${limitMs} ms: dropping the producer`, true);
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeout), limitMs);
    });
    try {
      return await Promise.race([fn(), expired]);
    } catch (err) {
      if (err === timeout) {
        const p = this.producer;
        this.producer = undefined;
        this.abandoned++; // the pending call must not install or drop producers any more
        void p?.disconnect().catch(() => undefined); // may hang as well: not awaited
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Commits one transaction; returns where each partition's records landed (base offsets). */
  async commit(batches: TopicBatch[]): Promise<RecordMetadata[]> {
    return this.bounded('transaction on', () => this.commitOnce(batches));
  }

  private async commitOnce(batches: TopicBatch[]): Promise<RecordMetadata[]> {
    const gen = this.abandoned;
    const p = await this.ensureProducer();
    const tx = await p.transaction();
    try {
      const written = await tx.sendBatch({ topicMessages: batches.filter((b) => b.messages.length > 0), acks: -1 });
      await tx.commit();
      return written;
    } catch (err) {
      if (isFencedError(err)) {
        if (gen === this.abandoned) await this.dropProducer();
        throw new ReplicatorError('CDC_FENCED', `slot producer ${this.transactionalId} was fenced by a newer owner`, false, { cause: err });
      }
      try {
        if (tx.isActive()) await tx.abort();
      } catch (abortErr) {
        this.log.warn({ err: abortErr, transactionalId: this.transactionalId }, 'abort failed: recreating the producer');
        if (gen === this.abandoned) await this.dropProducer();
      }
      throw new ReplicatorError('CDC_KAFKA', `transaction failed on ${this.transactionalId}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.dropProducer();
  }

  private async ensureProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const gen = this.abandoned;
    const p = this.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.transactionTimeoutMs,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 5_000 },
    });
    try {
      await p.connect();
    } catch (err) {
      await p.disconnect().catch(() => undefined);
      throw new ReplicatorError('CDC_KAFKA', `cannot connect producer ${this.transactionalId}: ${(err as Error).message}`, true, { cause: err });
    }
    if (gen !== this.abandoned) {
      // connected after its call was given up: a newer producer may own the id by now
      void p.disconnect().catch(() => undefined);
      throw new ReplicatorError('CDC_KAFKA', `producer ${this.transactionalId} connected too late`, true);
    }
    this.producer = p;
    return p;
  }

  private async dropProducer(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    if (p) await p.disconnect().catch((err: unknown) => this.log.debug({ err }, 'producer disconnect failed'));
  }
}
