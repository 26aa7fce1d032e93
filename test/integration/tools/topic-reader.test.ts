/**
 * readTopicToEnd reads exactly up to the captured end: committed records only (read_committed),
 * partitions ending in transaction markers or an aborted transaction are finished by their offsets
 * (not by a quiet spell), and a partition whose records were all deleted is not waited on.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { readTopicToEnd } from '../../../src/clients/topic-reader.js';
import { KAFKA_BROKERS, randomName } from '../../helpers/stack-env.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const kafka = new Kafka({ clientId: 'topic-reader-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });

describe('readTopicToEnd', () => {
  it('returns exactly the committed records of every partition and stops at the captured end', async () => {
    const topic = randomName('reader');
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ transactionalId: randomName('tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await createTopicsAndWait(admin, [{ topic, numPartitions: 3 }]);
      const send = async (partition: number, values: string[], commit: boolean) => {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: values.map((value) => ({ partition, key: value, value })) });
        await (commit ? tx.commit() : tx.abort());
      };
      await send(0, ['a1', 'a2'], true);
      await send(0, ['a3'], true); // partition 0 ends with a commit marker
      await send(1, ['b1'], true);
      await send(1, ['x1', 'x2'], false); // partition 1 ends with an aborted transaction
      await send(2, ['c1'], true);
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 2, offset: '-1' }] }); // partition 2: nothing left
      const got = await readTopicToEnd(kafka, topic, Number.POSITIVE_INFINITY, 60_000);
      expect(got.map((m) => [m.partition, m.value?.toString()])).toEqual([
        [0, 'a1'],
        [0, 'a2'],
        [0, 'a3'],
        [1, 'b1'],
      ]);
      // Written after the read began: not included, the end was captured first.
      await send(0, ['late'], true);
      const again = await readTopicToEnd(kafka, topic, Number.POSITIVE_INFINITY, 60_000);
      expect(again.map((m) => m.value?.toString())).toEqual(['a1', 'a2', 'a3', 'late', 'b1']);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
