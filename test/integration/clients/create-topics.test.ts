/**
 * createTopicsAndWait against the real broker: once it returns, a metadata request from another
 * client sees every partition with a leader, and a second call on the same topics is a no-op.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';
import { KAFKA_BROKERS, randomName } from '../../helpers/stack-env.js';

const kafka = new Kafka({ clientId: randomName('ct'), brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
const topics = [randomName('create_wait_a'), randomName('create_wait_b')];

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('createTopicsAndWait', () => {
  it('returns once every partition has a leader, and is a no-op for topics that exist', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await createTopicsAndWait(admin, [
        { topic: topics[0]!, numPartitions: 6 },
        { topic: topics[1]!, numPartitions: 1 },
      ]);
      expect(created).toBe(true);
      const other = kafka.admin();
      await other.connect();
      try {
        const md = await other.fetchTopicMetadata({ topics });
        const counts = Object.fromEntries(md.topics.map((t) => [t.name, t.partitions.filter((p) => p.leader >= 0).length]));
        expect(counts).toEqual({ [topics[0]!]: 6, [topics[1]!]: 1 });
      } finally {
        await other.disconnect();
      }
      expect(await createTopicsAndWait(admin, [{ topic: topics[0]!, numPartitions: 6 }])).toBe(false);
    } finally {
      await admin.disconnect();
    }
  });

  it('leaves an existing topic with another partition count as it is, without waiting for that count', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topic = randomName('create_wait_existing');
      topics.push(topic);
      await createTopicsAndWait(admin, [{ topic, numPartitions: 2 }]);
      // The caller (e.g. the source's SOURCE_SLOTS check) compares the count; the create must not wait for 4.
      await expect(createTopicsAndWait(admin, [{ topic, numPartitions: 4 }], { timeoutMs: 5_000 })).resolves.toBe(false);
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(2);
    } finally {
      await admin.disconnect();
    }
  });

  it('fails with the topic named when a create is refused', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const bad = randomName('bad');
      await expect(createTopicsAndWait(admin, [{ topic: bad, numPartitions: 1, replicationFactor: 5 }])).rejects.toThrow(
        `could not create topic ${bad}: INVALID_REPLICATION_FACTOR`,
      );
    } finally {
      await admin.disconnect();
    }
  });
});
