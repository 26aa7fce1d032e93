import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLevel } from '../../../src/clients/kafka.js';

describe('kafkajs log lines', () => {
  it('demotes what kafkajs retries or hands to our code, and keeps every other error an error', () => {
    // as kafkajs writes them (Connection: "Response <api>", the broker's error in `error`)
    expect(kafkajsLevel(logLevel.ERROR, 'Response CreateTopics(key: 19, version: 3)', 'Topic creation errors')).toBe('debug');
    expect(kafkajsLevel(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', 'This server does not host this topic-partition')).toBe('debug');
    expect(kafkajsLevel(logLevel.ERROR, 'Response AddPartitionsToTxn(key: 24, version: 1)', 'CONCURRENT_TRANSACTIONS')).toBe('debug');
    expect(kafkajsLevel(logLevel.ERROR, 'Response InitProducerId(key: 22, version: 1)', "The coordinator is loading and hence can't process requests for this group")).toBe(
      'debug',
    );
    expect(kafkajsLevel(logLevel.ERROR, 'Response SaslAuthenticate(key: 36, version: 1)', 'Authentication failed during authentication due to invalid credentials')).toBe('error');
    expect(
      kafkajsLevel(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', 'The producer attempted to use a producer id which is not currently assigned to its transactional id'),
    ).toBe('error');
    expect(kafkajsLevel(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees', undefined)).toBe('warn');
  });
});
