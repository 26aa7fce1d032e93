/**
 * Creates topics and returns only once every partition has a leader that answers for it.
 *
 * kafkajs's own `waitForLeaders` retries only LEADER_NOT_AVAILABLE. Right after CreateTopics, a
 * KRaft broker may still answer a Metadata request for the new topic with UNKNOWN_TOPIC_OR_PARTITION
 * ("This server does not host this topic-partition") until the controller's record reaches its
 * metadata cache; kafkajs then gives up and the caller sees a create that failed although the topic
 * exists (kafkajs admin/index.js `retryOnLeaderNotAvailable`). Our CI hit it once in ~500 tests.
 * Clients of other languages fixed the same race the same way (IBM/sarama#3623,
 * karafka/rdkafka-ruby#935): poll metadata until each partition names a leader, tolerating the
 * two transient codes, and give up after a bounded time with a message that names the topics.
 */
import type { Admin, ITopicConfig, PartitionMetadata } from 'kafkajs';

/** Metadata errors that mean "not yet" right after a create; anything else is a real failure. */
const TRANSIENT = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'NOT_LEADER_FOR_PARTITION']);

export interface TopicMetadataView {
  name: string;
  partitions: Pick<PartitionMetadata, 'partitionId' | 'leader' | 'partitionErrorCode'>[];
}

/**
 * Which of the wanted topics are not usable yet: missing from the metadata, fewer partitions than
 * asked for, or a partition without a leader. Pure, so the rule is tested without a broker.
 */
export function topicsNotReady(wanted: Pick<ITopicConfig, 'topic' | 'numPartitions'>[], metadata: TopicMetadataView[]): string[] {
  const byName = new Map(metadata.map((t) => [t.name, t]));
  return wanted
    .filter(({ topic, numPartitions }) => {
      const md = byName.get(topic);
      if (!md || md.partitions.length === 0) return true;
      if (numPartitions !== undefined && numPartitions > 0 && md.partitions.length < numPartitions) return true;
      return md.partitions.some((p) => p.leader < 0 || (p.partitionErrorCode ?? 0) !== 0);
    })
    .map((t) => t.topic);
}

function errorType(err: unknown): string | undefined {
  const e = err as { type?: string; errors?: { type?: string }[] };
  return e.type ?? e.errors?.[0]?.type;
}

/** kafkajs reports per-topic failures as an aggregate titled "Topic creation errors": name each. */
function describeCreateErrors(err: unknown, topics: ITopicConfig[]): string {
  const parts = (err as { errors?: { topic?: string; type?: string; message?: string }[] }).errors;
  if (!parts?.length) return `topic(s) ${topics.map((t) => t.topic).join(', ')}: ${(err as Error).message}`;
  return parts.map((e) => `topic ${e.topic ?? '?'}: ${e.type ?? 'error'} (${e.message ?? ''})`).join('; ');
}

export interface CreateTopicsOptions {
  /** How long to wait for leaders after the create (default 30 s). */
  timeoutMs?: number;
  /** Poll interval (default 100 ms). */
  intervalMs?: number;
}

/**
 * Creates the topics that do not exist yet (an existing topic is left as it is, whatever its
 * partition count) and waits until all of them, new or old, have a leader for every partition.
 * Returns true when it created at least one.
 */
export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[], opts: CreateTopicsOptions = {}): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 100;
  // Topics that existed before keep their partition count (the caller checks it if it cares):
  // only those created here must show the count asked for.
  let existing = new Set<string>();
  try {
    // false when every topic already existed (kafkajs folds TOPIC_ALREADY_EXISTS into a false)
    if (!(await admin.createTopics({ topics, waitForLeaders: false }))) existing = new Set(topics.map((t) => t.topic));
  } catch (err) {
    const parts = (err as { errors?: { topic?: string; type?: string }[] }).errors ?? [{ type: errorType(err) }];
    if (!parts.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) throw new Error(`could not create ${describeCreateErrors(err, topics)}`, { cause: err });
    existing = new Set(parts.map((e) => e.topic ?? '').filter((t) => t !== ''));
    if (existing.size === 0) existing = new Set(topics.map((t) => t.topic));
  }
  const created = topics.some((t) => !existing.has(t.topic));
  const wanted = topics.map((t) => (existing.has(t.topic) ? { topic: t.topic } : t));
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  let pending = names;
  let lastError = '';
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: names });
      pending = topicsNotReady(wanted, md.topics);
      if (pending.length === 0) return created;
      lastError = 'partitions without a leader';
    } catch (err) {
      const type = errorType(err);
      if (!type || !TRANSIENT.has(type)) throw err;
      lastError = type;
    }
    if (Date.now() >= deadline) {
      throw new Error(`topic(s) ${pending.join(', ')} not ready ${timeoutMs} ms after create (${lastError})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
