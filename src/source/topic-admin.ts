/**
 * Creates the topics the source writes (explicitly: KRaft + kafkajs auto-creation is flaky,
 * test-infra.md §1) and reports the partition count actually in use, which the partitioner needs.
 */
import type { Admin, ITopicConfig } from 'kafkajs';

export async function ensureTopic(admin: Admin, spec: ITopicConfig): Promise<number> {
  try {
    await admin.createTopics({ topics: [spec], waitForLeaders: true });
  } catch (err) {
    // TOPIC_ALREADY_EXISTS surfaces as a KafkaJSAggregateError / createTopics false; both are fine
    const type = (err as { type?: string; errors?: { type?: string }[] }).errors?.[0]?.type ?? (err as { type?: string }).type;
    if (type !== 'TOPIC_ALREADY_EXISTS') throw err;
  }
  const md = await admin.fetchTopicMetadata({ topics: [spec.topic] });
  const n = md.topics[0]?.partitions.length ?? 0;
  if (n === 0) throw new Error(`topic ${spec.topic} has no partitions`);
  return n;
}
