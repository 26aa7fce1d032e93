/**
 * kafkajs's read_committed consumer (which the sink, the source's checkpoint reader and the tools
 * use) against Kafka's own Java consumer, on transactions that end in another order than they
 * began: the broker lists aborted transactions in a fetch response in the order they ended (its
 * transaction index is appended when the ABORT marker is written), so A (began first, aborted
 * last) comes after B. Unpatched kafkajs walked that list as if sorted by first offset and returned
 * A's aborted record (issue 20, the duplicates after a broker restart; patches/kafkajs+2.2.4.patch).
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaReadCommitted } from '../../helpers/java-kafka.js';
import { KAFKA_BROKERS, randomName } from '../../helpers/stack-env.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const kafka = new Kafka({ clientId: randomName('rc'), brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
const topic = randomName('read_committed_order');
const producers: Producer[] = [];

async function producer(name: string): Promise<Producer> {
  const p = kafka.producer({ transactionalId: `${topic}.${name}`, idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  producers.push(p);
  return p;
}

/** Every value a kafkajs read_committed consumer returns from the beginning up to the high watermark. */
async function kafkajsValues(highWatermark: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: randomName('rc'), readUncommitted: false, maxWaitTimeInMs: 100 });
  const values: string[] = [];
  let next = 0;
  await consumer.connect();
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => (next = Math.max(next, Number(e.payload.lastOffset) + 1)));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
    const deadline = Date.now() + 30_000;
    while (next < highWatermark && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(next, 'kafkajs read up to the high watermark').toBeGreaterThanOrEqual(highWatermark);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
  await admin.disconnect();
});

afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
});

describe('read_committed with transactions aborted in another order than they began', () => {
  it("kafkajs returns what Kafka's Java consumer returns: the committed records only", async () => {
    const [a, b, c] = [await producer('a'), await producer('b'), await producer('c')];
    const ta = await a.transaction();
    await ta.send({ topic, messages: [{ value: 'a-aborted' }] }); // offset 0
    const tb = await b.transaction();
    await tb.send({ topic, messages: [{ value: 'b-aborted' }] }); // offset 1
    await tb.abort(); // marker at 2: B is listed first
    await ta.abort(); // marker at 3
    const tc = await c.transaction();
    await tc.send({ topic, messages: [{ value: 'c-committed' }] });
    await tc.commit();

    const [java, viaKafkajs] = await Promise.all([javaReadCommitted(KAFKA_BROKERS, [topic]), kafkajsValues(6)]);
    expect(java.map((r) => String(r.value))).toEqual(['c-committed']);
    expect(viaKafkajs).toEqual(['c-committed']);
  });
});
