/**
 * A slot producer taken over by a newer owner (same transactional id) learns it from the broker on
 * its next transaction, and the slot emitter says so by error code (CDC_FENCED): the worker then
 * lets the slot go instead of retrying. This checks, against the real broker, what kafkajs 2.2.4
 * hands over for a fenced producer: a typed error (INVALID_PRODUCER_EPOCH), found without reading
 * any message text (isFencedError in slot-emitter.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/log/logger.js';
import { isFencedError, SlotEmitter } from '../../../src/source/slot-emitter.js';
import { ensureTopic } from '../../../src/source/topic-admin.js';
import { kafkaClient, randomName } from './harness.js';

const log = createLogger('source', 'silent');
const kafka = kafkaClient();
const emitters: SlotEmitter[] = [];

afterAll(async () => {
  await Promise.all(emitters.map((e) => e.close()));
});

describe('slot producer fencing', () => {
  it("the older owner's next transaction fails as CDC_FENCED, by the broker error's type", async () => {
    const topic = randomName('fence');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopic(admin, { topic, numPartitions: 1, replicationFactor: 1 });
    } finally {
      await admin.disconnect();
    }
    const txId = randomName('fence-tx');
    const batch = (v: string) => [{ topic, messages: [{ key: 'k', value: v, partition: 0 }] }];
    const older = new SlotEmitter(kafka, txId, 10_000, log);
    const newer = new SlotEmitter(kafka, txId, 10_000, log);
    emitters.push(older, newer);

    await older.open();
    await older.commit(batch('older-1'));
    await newer.open(); // InitProducerId bumps the epoch: the older producer is fenced
    const err = await older.commit(batch('older-2')).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeDefined();
    expect(hasCode(err, 'CDC_FENCED')).toBe(true);
    const kafkaErr = (err as { cause?: unknown }).cause;
    expect(isFencedError(kafkaErr)).toBe(true);
    // the broker's answer as kafkajs types it, somewhere down the cause chain
    const types: unknown[] = [];
    for (let e: unknown = kafkaErr; e; e = (e as { cause?: unknown }).cause) types.push((e as { type?: unknown }).type);
    expect(types).toContain('INVALID_PRODUCER_EPOCH');

    await newer.commit(batch('newer-1')); // the new owner goes on
  });
});
