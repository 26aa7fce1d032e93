/**
 * Dead letters: the original key, value and headers, plus `__connect.errors.*` headers. Idempotent
 * producer, acks=all, awaited: the caller commits offsets past a record only after its dead letter is
 * acknowledged (never "offsets committed though nothing written", kafka-connect-jdbc #1597).
 */
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { ReplicatorError } from '../core/errors.js';
import { createTopicsAndWait } from '../clients/create-topics.js';
import { dlqHeaders } from './core/dlq-headers.js';
import type { RecordFailure } from './core/types.js';

export interface DeadLetter {
  failure: RecordFailure;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string | undefined;
}

export class DlqProducer {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly connectorName: string,
  ) {}

  async start(): Promise<void> {
    if (this.producer) return;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const existing = await admin.listTopics();
      if (!existing.includes(this.topic)) {
        // One partition, as Kafka Connect's DeadLetterQueueReporter creates it.
        await createTopicsAndWait(admin, [{ topic: this.topic, numPartitions: 1 }]);
      }
    } finally {
      await admin.disconnect();
    }
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    this.producer = producer;
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.producer) await this.start();
    const now = Date.now();
    try {
      await this.producer!.send({
        topic: this.topic,
        acks: -1,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: { ...l.headers, ...dlqHeaders(l.failure, this.connectorName, now) },
          ...(l.timestamp !== undefined ? { timestamp: l.timestamp } : {}),
        })),
      });
    } catch (err) {
      throw new ReplicatorError('CDC_KAFKA', `dead-letter produce failed: ${(err as Error).message}`, true, { cause: err });
    }
  }

  async stop(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    if (p) await p.disconnect();
  }
}
