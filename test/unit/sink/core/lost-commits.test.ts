import { describe, expect, it } from 'vitest';
import { lostCommits } from '../../../../src/sink/core/lost-commits.js';
import { tpKey } from '../../../../src/sink/core/offset-tracker.js';

const committed = new Map([
  [tpKey('t', 0), 100n],
  [tpKey('t', 1), 50n],
  [tpKey('t', 2), 70n],
]);
const generations = new Map([
  [tpKey('t', 0), 3n],
  [tpKey('t', 1), 3n],
  [tpKey('t', 2), 3n],
]);

describe('lostCommits', () => {
  it('finds a partition whose stored offset fell below what was committed, under our epoch', () => {
    expect(
      lostCommits(committed, generations, [
        { topic: 't', partition: 0, next: 80n, generation: 3n },
        { topic: 't', partition: 1, next: 50n, generation: 3n },
        { topic: 't', partition: 2, next: 90n, generation: 3n }, // committed after our snapshot: fine
      ]),
    ).toEqual([{ topic: 't', partition: 0, committed: 100n, stored: 80n }]);
  });

  it('counts a vanished claim (older epoch, or no offset) as lost', () => {
    expect(
      lostCommits(committed, generations, [
        { topic: 't', partition: 0, next: 100n, generation: 2n },
        { topic: 't', partition: 1, next: null, generation: 3n },
      ]),
    ).toEqual([
      { topic: 't', partition: 0, committed: 100n, stored: 100n },
      { topic: 't', partition: 1, committed: 50n, stored: null },
    ]);
  });

  it('leaves partitions a newer owner took, and partitions not assigned here, to fencing', () => {
    expect(
      lostCommits(committed, generations, [
        { topic: 't', partition: 0, next: 10n, generation: 4n },
        { topic: 't', partition: 9, next: 0n, generation: 3n },
        { topic: 'other', partition: 1, next: 0n, generation: 3n },
      ]),
    ).toEqual([]);
  });
});
