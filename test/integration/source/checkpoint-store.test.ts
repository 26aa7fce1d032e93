/**
 * The checkpoint reader after its consumer rejoins its group (what a broker restart or a lost
 * session does): kafkajs reads the offsets topic again from the beginning, and a slot loaded in
 * the meantime must still get the latest checkpoint, never an older one from the re-read (an
 * older checkpoint means re-emitting the changes after it: duplicates, issue 20).
 *
 * The rejoin is caused without touching the shared broker: a second member joins the reader's
 * private group and leaves again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { CheckpointStore, offsetsTopicName } from '../../../src/source/checkpoint-store.js';
import { checkpointKey, encodeCheckpoint, type SlotCheckpoint } from '../../../src/source/core/checkpoint.js';
import { kafkaClient, randomName, waitFor } from './harness.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const kafka = kafkaClient();
const admin = kafka.admin();
let store: CheckpointStore | undefined;

afterAll(async () => {
  await store?.stop();
  await admin.disconnect();
});

function ckpt(atMs: number): SlotCheckpoint {
  // a long `partial` makes each record ~2 KB, so a re-read takes several fetches
  const partial = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${i.toString(16).padStart(32, '0')}`, '6f2c3a10-0000-1000-8000-000000000000']));
  return { v: 1, table: 'ks.t', slot: 0, slots: 1, genMs: 0, atMs, toMs: null, partial, snapshot: null, writtenAtMs: atMs };
}

describe('checkpoint store', () => {
  it('a slot loaded while the reader re-reads after a rejoin gets the latest checkpoint', async () => {
    const name = randomName('ckpt');
    const topic = offsetsTopicName(name);
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const N = 6_000;
    for (let i = 0; i < N; i += 200) {
      const messages = Array.from({ length: 200 }, (_, j) => ({ key: checkpointKey('ks.t', 0), value: encodeCheckpoint(ckpt(i + j)) }));
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    store = new CheckpointStore(kafka, admin, topic, 1, name, createLogger('source', 'silent'));
    await store.start();
    expect((await store.loadSlot(0)).get('ks.t')?.atMs).toBe(N - 1);

    const prefix = `_scylla-pg-cdc.${name}.checkpoints.`;
    const groupId = (await admin.listGroups()).groups.map((g) => g.groupId).find((g) => g.startsWith(prefix));
    expect(groupId).toBeDefined();
    const loads: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = store.rejoins;
      const intruder = kafka.consumer({ groupId: groupId!, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
      await intruder.connect();
      await intruder.subscribe({ topic, fromBeginning: true });
      await intruder.run({ autoCommit: false, eachMessage: async () => undefined });
      await waitFor(() => (store!.rejoins > before ? true : undefined), 60_000, 'the reader rejoining');
      const mid = store.rejoins;
      await intruder.disconnect(); // leaves: the reader rejoins again, alone, and re-reads everything
      await waitFor(() => (store!.rejoins > mid ? true : undefined), 60_000, 'the reader rejoining alone');
      loads.push((await store.loadSlot(0)).get('ks.t')!.atMs);
    }
    expect(loads).toEqual([N - 1, N - 1, N - 1]);
  }, 120_000);
});
