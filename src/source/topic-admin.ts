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
import type { Logger } from '../log/logger.js';

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
 * Kafka compacts only closed segments (Kafka docs, "Log Compaction": the active segment is never
 * compacted) and closes one after `segment.ms` (7 days by default) or `segment.bytes` (1 GiB). The
 * offsets topic takes a few hundred small records a minute, so with the defaults nothing was
 * compacted for a week: 0.5–0.6 GB per table idle (docs/scale.md), all re-read by a slot's load.
 * An hour bounds that to an hour of checkpoints plus the compacted ones.
 */
export const COMPACTED_TOPIC_CONFIG: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact', 'segment.ms': '3600000' };

/**
 * Gives an existing compacted topic of ours the settings above that it lacks at topic level (a
 * topic created before them, or by hand); a value an operator set is kept. kafkajs has no
 * IncrementalAlterConfigs, and AlterConfigs replaces the topic's whole set: the topic's own entries
 * are sent back with the missing ones. Returns the names it set.
 */
export async function ensureCompactedConfig(admin: Admin, topic: string): Promise<string[]> {
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  const own = (res.resources[0]?.configEntries ?? []).filter((e) => e.configSource === TOPIC_CONFIG_SOURCE);
  const missing = Object.keys(COMPACTED_TOPIC_CONFIG).filter((name) => !own.some((e) => e.configName === name));
  if (missing.length === 0) return [];
  if (own.some((e) => e.isSensitive)) throw new Error(`${topic} has sensitive topic configs that AlterConfigs would need to resend; set ${missing.join(', ')} by hand`);
  const entries = [...own.map((e) => ({ name: e.configName, value: e.configValue })), ...missing.map((name) => ({ name, value: COMPACTED_TOPIC_CONFIG[name]! }))];
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: entries }] });
  return missing;
}

/** DescribeConfigs' config source for a value set on the topic itself (KIP-226). */
const TOPIC_CONFIG_SOURCE = 1;

async function ensureCompacted(admin: Admin, topic: string, log: Pick<Logger, 'info' | 'warn'> | undefined): Promise<void> {
  try {
    const set = await ensureCompactedConfig(admin, topic);
    if (set.length > 0) log?.info({ topic, set: set.map((n) => `${n}=${COMPACTED_TOPIC_CONFIG[n]}`) }, 'compacted topic given the settings it lacked');
  } catch (err) {
    // Not fatal: the topic works, it only grows until compaction (no DescribeConfigs/AlterConfigs ACL, say).
    log?.warn(
      { err, topic },
      `could not check the compaction settings of ${topic}; set ${Object.entries(COMPACTED_TOPIC_CONFIG)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} on it`,
    );
  }
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
export async function ensureSlotTopics(admin: Admin, sourceName: string, slots: number, replicationFactor: number | undefined, log?: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  const offsets = offsetsTopicName(sourceName);
  const found = await ensureTopic(admin, { topic: offsets, numPartitions: slots, replicationFactor, configEntries: compactedEntries() });
  await ensureCompacted(admin, offsets, log);
  const control = controlTopicName(sourceName);
  const foundControl = await ensureTopic(admin, { topic: control, numPartitions: slots, replicationFactor });
  const problems = [slotCountProblem(sourceName, offsets, slots, found), slotCountProblem(sourceName, control, slots, foundControl)].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new ConfigError(problems);
  await ensureSignalsTopic(admin, sourceName, replicationFactor);
  await ensureCompacted(admin, signalsTopicName(sourceName), log);
}

/** Also created by `scylla-pg-cdc snapshot`, which may run before any source did. */
export async function ensureSignalsTopic(admin: Admin, sourceName: string, replicationFactor: number | undefined): Promise<void> {
  await ensureTopic(admin, { topic: signalsTopicName(sourceName), numPartitions: 1, replicationFactor, configEntries: compactedEntries() });
}

const compactedEntries = () => Object.entries(COMPACTED_TOPIC_CONFIG).map(([name, value]) => ({ name, value }));

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
