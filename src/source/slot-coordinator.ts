/**
 * Scale-out on Kafka's group protocol (docs/source.md, "Scale-out"): a control topic with one partition per
 * slot, one consumer group for all source processes of a SOURCE_NAME; the partitions assigned
 * to this process are the slots it reads. Nothing is ever produced to the control topic: the
 * group membership is the whole point. A dead process stops heartbeating and its slots move to
 * the others after the session timeout.
 *
 * kafkajs has no blocking revocation callback, so on REBALANCING the service pauses its slots at
 * the next transaction boundary; whichever process gets a slot next fences the old producer
 * before reading the slot's checkpoint, so an overlap can abort a transaction, never duplicate.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../log/logger.js';

export function controlTopicName(sourceName: string): string {
  return `_scylla-pg-cdc.${sourceName}.slots`;
}

export interface SlotCoordinatorEvents {
  onRebalancing(): void;
  onAssigned(slots: number[], generationId: number): void;
}

export class SlotCoordinator {
  private consumer: Consumer | undefined;
  assigned: number[] = [];
  generationId = -1;
  memberId = '';

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    readonly groupId: string,
    private readonly sessionTimeoutMs: number,
    private readonly events: SlotCoordinatorEvents,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: Math.max(this.sessionTimeoutMs, 20_000),
      heartbeatInterval: Math.max(500, Math.floor(this.sessionTimeoutMs / 10)),
      maxWaitTimeInMs: 500,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => {
      this.log.info({ groupId: this.groupId }, 'slot rebalance started');
      this.events.onRebalancing();
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const slots = [...(e.payload.memberAssignment[this.topic] ?? [])].sort((a, b) => a - b);
      this.assigned = slots;
      this.generationId = e.payload.groupId === this.groupId ? ((e.payload as unknown as { generationId?: number }).generationId ?? -1) : -1;
      this.memberId = e.payload.memberId;
      this.log.info({ slots, memberId: e.payload.memberId, leader: e.payload.isLeader }, 'slots assigned');
      this.events.onAssigned(slots, this.generationId);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'slot coordinator consumer crashed');
    });
    // A killed process of this group still holds its slots until its session times out: the join
    // below waits that long (kafkajs has no static membership). Logged so the wait can be seen.
    this.log.info({ groupId: this.groupId, sessionTimeoutMs: this.sessionTimeoutMs }, 'joining the slot group');
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (c) await c.disconnect().catch((err: unknown) => this.log.debug({ err }, 'coordinator disconnect failed'));
  }
}
