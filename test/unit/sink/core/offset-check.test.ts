import { describe, expect, it } from 'vitest';
import { decideStart, findMismatch, lostBeforeJump } from '../../../../src/sink/core/offset-check.js';

const log = (low: number, high: number, topicId: string | null = 'B') => ({ low: BigInt(low), high: BigInt(high), topicId });
const stored = (next: number | null, topicId: string | null = 'B') => ({ next: next === null ? null : BigInt(next), topicId });

describe('findMismatch', () => {
  it('accepts an offset inside [low, high], both ends included', () => {
    expect(findMismatch(stored(10), log(10, 20))).toBeNull();
    expect(findMismatch(stored(20), log(10, 20))).toBeNull();
    expect(findMismatch(stored(null), log(10, 20))).toBeNull();
  });

  it('a changed topic id is a recreated topic even when the offset fits', () => {
    expect(findMismatch(stored(15, 'A'), log(0, 40, 'B'))).toMatchObject({ reason: 'topic-recreated', lost: null });
  });

  it('an unknown id on either side falls back to offsets', () => {
    expect(findMismatch(stored(15, null), log(0, 40, 'B'))).toBeNull();
    expect(findMismatch(stored(15, 'A'), log(0, 40, null))).toBeNull();
    expect(findMismatch(stored(41, null), log(0, 40, null))).toMatchObject({ reason: 'topic-recreated' });
  });

  it('an offset below the log start is a retention gap with the number of offsets lost', () => {
    expect(findMismatch(stored(20), log(40, 60))).toMatchObject({ reason: 'retention-gap', lost: 20n });
  });
});

describe('decideStart', () => {
  it('resumes at the stored offset, or the log start when none is stored', () => {
    expect(decideStart(stored(12), log(10, 20), 'earliest', false)).toEqual({ kind: 'resume', from: 12n });
    expect(decideStart(stored(null), log(10, 20), 'fail', false)).toEqual({ kind: 'resume', from: 10n });
  });

  it('earliest resets to the log start; fail holds until acknowledged', () => {
    expect(decideStart(stored(5), log(10, 20), 'earliest', false)).toMatchObject({ kind: 'reset', from: 10n, reason: 'retention-gap', lost: 5n });
    expect(decideStart(stored(5), log(10, 20), 'fail', false)).toMatchObject({ kind: 'hold', reason: 'retention-gap' });
    expect(decideStart(stored(5), log(10, 20), 'fail', true)).toMatchObject({ kind: 'reset', from: 10n });
    expect(decideStart(stored(30), log(0, 20), 'fail', false)).toMatchObject({ kind: 'hold', reason: 'topic-recreated' });
  });
});

describe('lostBeforeJump', () => {
  it('a jump over transaction markers loses nothing (the log still starts at or before the expected offset)', () => {
    expect(lostBeforeJump(100n, 101n, 0n)).toBe(0n);
    expect(lostBeforeJump(100n, 140n, 100n)).toBe(0n);
  });

  it('records removed by retention are the offsets between the expected one and the log start', () => {
    expect(lostBeforeJump(100n, 140n, 140n)).toBe(40n);
    expect(lostBeforeJump(100n, 140n, 120n)).toBe(20n);
    // retention moved on after the fetch: only offsets before the fetched one count
    expect(lostBeforeJump(100n, 140n, 170n)).toBe(40n);
  });
});
