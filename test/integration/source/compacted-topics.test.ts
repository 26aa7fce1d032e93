/**
 * The source's compacted topics (checkpoints, signals) get a short segment.ms, since Kafka never
 * compacts the active segment: created so, and an existing topic without it gets it added while
 * what an operator set on the topic stays. Read back with DescribeConfigs from another client.
 */
import kafkajs, { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offsetsTopicName } from '../../../src/source/checkpoint-store.js';
import { signalsTopicName } from '../../../src/source/snapshot-signals.js';
import { controlTopicName } from '../../../src/source/slot-coordinator.js';
import { ensureSlotTopics } from '../../../src/source/topic-admin.js';
import { KAFKA_BROKERS, randomName } from '../../helpers/stack-env.js';

const kafka = new Kafka({ clientId: randomName('compacted'), brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
const fresh = randomName('src_fresh');
const older = randomName('src_older');
const topics = [fresh, older].flatMap((n) => [offsetsTopicName(n), signalsTopicName(n), controlTopicName(n)]);
let admin: Admin;

/** The topic-level configs (source TOPIC_CONFIG) of a topic, by name. */
async function topicConfigs(topic: string): Promise<Record<string, string>> {
  const other = kafka.admin();
  await other.connect();
  try {
    const res = await other.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }] });
    return Object.fromEntries(res.resources[0]!.configEntries.filter((e) => e.configSource === 1).map((e) => [e.configName, e.configValue]));
  } finally {
    await other.disconnect();
  }
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('compacted topics of the source', () => {
  it('are created with cleanup.policy=compact and segment.ms=3600000', async () => {
    await ensureSlotTopics(admin, fresh, 2, undefined);
    for (const t of [offsetsTopicName(fresh), signalsTopicName(fresh)]) expect(await topicConfigs(t)).toEqual({ 'cleanup.policy': 'compact', 'segment.ms': '3600000' });
  });

  it('get segment.ms added when they exist without it, keeping what an operator set', async () => {
    await admin.createTopics({
      topics: [
        {
          topic: offsetsTopicName(older),
          numPartitions: 2,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '86400000' },
          ],
        },
        {
          topic: signalsTopicName(older),
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.ms', value: '600000' },
          ],
        },
      ],
    });
    await ensureSlotTopics(admin, older, 2, undefined);
    expect(await topicConfigs(offsetsTopicName(older))).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '86400000', 'segment.ms': '3600000' });
    expect(await topicConfigs(signalsTopicName(older))).toEqual({ 'cleanup.policy': 'compact', 'segment.ms': '600000' });
  });
});
