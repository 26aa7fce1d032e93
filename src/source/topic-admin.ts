/**
 * Creates the topics the source writes (explicitly: auto-creation is off on production brokers and
 * racy with KRaft) and reports the partition count actually in use, which the partitioner needs.
 *
 * Without KAFKA_TOPIC_REPLICATION a topic gets the broker's `default.replication.factor`, as a
 * topic created by the broker itself would. kafkajs speaks CreateTopics v3 at most, where "-1 =
 * broker default" does not exist yet (KIP-464 added it in v4), so the default is read from the
 * broker's configuration first.
 */
import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import { createTopicsAndWait } from '../clients/create-topics.js';
import { ConfigError } from '../config/spec.js';
import { topicFor } from '../core/topic-name.js';
import { offsetsTopicName } from './checkpoint-store.js';
import { controlTopicName } from './slot-coordinator.js';
import { signalsTopicName } from './snapshot-signals.js';

const { ConfigResourceTypes } = kafkajs; // CommonJS: named exports are not visible to ESM imports

export async function brokerDefaultReplication(admin: Admin): Promise<number> {
  const cluster = await admin.describeCluster();
  const broker = cluster.brokers[0];
  if (!broker) throw new Error('no broker in the cluster metadata');
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.BROKER, name: String(broker.nodeId), configNames: ['default.replication.factor'] }],
  });
  const value = res.resources[0]?.configEntries.find((e) => e.configName === 'default.replication.factor')?.configValue;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`broker ${broker.nodeId} reports default.replication.factor=${String(value)}`);
  return n;
}

export async function ensureTopic(admin: Admin, spec: ITopicConfig): Promise<number> {
  const replicationFactor = spec.replicationFactor ?? (await brokerDefaultReplication(admin));
  await createTopicsAndWait(admin, [{ ...spec, replicationFactor }]);
  const md = await admin.fetchTopicMetadata({ topics: [spec.topic] });
  const n = md.topics[0]?.partitions.length ?? 0;
  if (n === 0) throw new Error(`topic ${spec.topic} has no partitions`);
  return n;
}

/**
 * The topics of the slots themselves: the offsets topic (compacted, it keeps the last checkpoint
 * per key) and the control topic whose partitions the group hands out as slots, and the signals topic
 * (compacted: the latest snapshot request per table). The first two exist from the deployment's
 * first start with SOURCE_SLOTS partitions; a restart with another SOURCE_SLOTS is refused (exit 2):
 * units are dealt to slots by their count and each slot loads its checkpoints from its own offsets
 * partition, so another count would resume every table from positions that another slot's units
 * reached (changes skipped or repeated).
 */
export async function ensureSlotTopics(admin: Admin, sourceName: string, slots: number, replicationFactor: number | undefined): Promise<void> {
  const offsets = offsetsTopicName(sourceName);
  const found = await ensureTopic(admin, {
    topic: offsets,
    numPartitions: slots,
    replicationFactor,
    configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
  });
  const control = controlTopicName(sourceName);
  const foundControl = await ensureTopic(admin, { topic: control, numPartitions: slots, replicationFactor });
  const problems = [slotCountProblem(sourceName, offsets, slots, found), slotCountProblem(sourceName, control, slots, foundControl)].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new ConfigError(problems);
  await ensureSignalsTopic(admin, sourceName, replicationFactor);
}

/** Also created by `scylla-pg-cdc snapshot`, which may run before any source did. */
export async function ensureSignalsTopic(admin: Admin, sourceName: string, replicationFactor: number | undefined): Promise<void> {
  await ensureTopic(admin, { topic: signalsTopicName(sourceName), numPartitions: 1, replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] });
}

/** The message for a SOURCE_SLOTS that differs from an existing slot topic's partition count, or null. */
export function slotCountProblem(sourceName: string, topic: string, configured: number, partitions: number): string | null {
  if (configured === partitions) return null;
  return (
    `SOURCE_SLOTS=${configured}, but ${topic} has ${partitions} partitions: SOURCE_NAME ${sourceName} was started with SOURCE_SLOTS=${partitions}, ` +
    `and its checkpoints are kept per slot, so another slot count would resume tables from other slots' positions. ` +
    `Set SOURCE_SLOTS=${partitions} again, or start a new deployment under another SOURCE_NAME (it starts from SNAPSHOT_MODE / CDC_START)`
  );
}

/** Each table's data topic, created when missing: its name (KAFKA_TOPIC_TEMPLATE) and partition count in use. */
export async function ensureDataTopics(
  admin: Admin,
  cfg: { kafkaTopicTemplate: string; kafkaTopicPartitions: number; kafkaTopicReplication?: number | undefined },
  tables: readonly { keyspace: string; table: string }[],
): Promise<{ topic: string; partitions: number }[]> {
  const out: { topic: string; partitions: number }[] = [];
  for (const t of tables) {
    const topic = topicFor(cfg.kafkaTopicTemplate, t.keyspace, t.table);
    out.push({ topic, partitions: await ensureTopic(admin, { topic, numPartitions: cfg.kafkaTopicPartitions, replicationFactor: cfg.kafkaTopicReplication }) });
  }
  return out;
}
