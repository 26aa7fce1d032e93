import { describe, expect, it } from 'vitest';
import { topicsNotReady } from '../../../src/clients/create-topics.js';

const part = (partitionId: number, leader = 1, partitionErrorCode = 0) => ({ partitionId, leader, partitionErrorCode });

describe('topicsNotReady', () => {
  it('is empty when every partition of every wanted topic has a leader', () => {
    expect(
      topicsNotReady(
        [{ topic: 'a', numPartitions: 2 }, { topic: 'b' }],
        [
          { name: 'a', partitions: [part(0), part(1)] },
          { name: 'b', partitions: [part(0)] },
        ],
      ),
    ).toEqual([]);
  });
  it('names a topic the metadata does not list yet, or lists without partitions', () => {
    expect(topicsNotReady([{ topic: 'a' }, { topic: 'b' }], [{ name: 'b', partitions: [] }])).toEqual(['a', 'b']);
  });
  it('names a topic with fewer partitions than asked for', () => {
    expect(topicsNotReady([{ topic: 'a', numPartitions: 3 }], [{ name: 'a', partitions: [part(0), part(1)] }])).toEqual(['a']);
  });
  it('names a topic with a partition that has no leader or reports an error', () => {
    expect(topicsNotReady([{ topic: 'a' }], [{ name: 'a', partitions: [part(0), part(1, -1)] }])).toEqual(['a']);
    expect(topicsNotReady([{ topic: 'a' }], [{ name: 'a', partitions: [part(0, 1, 5)] }])).toEqual(['a']);
  });
  it('takes -1 partitions (the broker default) as any count', () => {
    expect(topicsNotReady([{ topic: 'a', numPartitions: -1 }], [{ name: 'a', partitions: [part(0)] }])).toEqual([]);
  });
});
