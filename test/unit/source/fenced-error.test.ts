import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ReplicatorError } from '../../../src/core/errors.js';
import { isFencedError } from '../../../src/source/slot-emitter.js';

// kafkajs's own error factory and retrier (CommonJS internals, not in its typings): the errors
// below are shaped exactly as a broker's answer reaches the slot emitter.
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };
const createRetry = require('kafkajs/src/retry') as (opts: object) => <T>(fn: () => Promise<T>) => Promise<T>;

/** What kafkajs rejects with when a request inside its retrier fails with broker error `code`. */
async function throughRetrier(code: number): Promise<unknown> {
  const retrier = createRetry({ retries: 0, initialRetryTime: 1, maxRetryTime: 1 });
  return retrier(async () => {
    throw createErrorFromCode(code);
  }).catch((err: unknown) => err);
}

describe('isFencedError', () => {
  it('INVALID_PRODUCER_EPOCH (47) wrapped by the kafkajs retrier, which drops the type but keeps the cause', async () => {
    const err = await throughRetrier(47);
    expect((err as Error).name).toBe('KafkaJSNonRetriableError');
    expect((err as { type?: string }).type).toBeUndefined();
    expect(isFencedError(err)).toBe(true);
  });
  it('the same, wrapped again by our own errors (a snapshot query, a transaction)', async () => {
    const err = new ReplicatorError('CDC_SCYLLA', 'snapshot query failed', true, {
      cause: new ReplicatorError('CDC_KAFKA', 'transaction failed', true, { cause: await throughRetrier(47) }),
    });
    expect(isFencedError(err)).toBe(true);
  });
  it('our CDC_FENCED, also as the cause of another error', () => {
    const fenced = new ReplicatorError('CDC_FENCED', 'slot producer was fenced by a newer owner', false);
    expect(isFencedError(fenced)).toBe(true);
    expect(isFencedError(new Error('step failed', { cause: fenced }))).toBe(true);
  });
  it('not other Kafka errors, even when retries ran out', async () => {
    const concurrent = await throughRetrier(51); // CONCURRENT_TRANSACTIONS, retriable
    expect((concurrent as Error).name).toBe('KafkaJSNumberOfRetriesExceeded');
    expect(isFencedError(concurrent)).toBe(false);
    expect(isFencedError(await throughRetrier(48))).toBe(false); // INVALID_TXN_STATE
  });
  it('never by message text', () => {
    expect(isFencedError(new Error('producer fenced: INVALID_PRODUCER_EPOCH'))).toBe(false);
    expect(isFencedError(new ReplicatorError('CDC_KAFKA', 'fenced', true))).toBe(false);
  });
});
