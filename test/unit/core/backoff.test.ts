import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../../src/core/backoff.js';
import { Backoff } from '../../../src/source/backoff.js';

describe('backoff', () => {
  it('grows exponentially within [exp/2, exp], capped', () => {
    expect(backoffMs(0, 30_000, 200, () => 0)).toBe(100);
    expect(backoffMs(0, 30_000, 200, () => 1)).toBe(200);
    expect(backoffMs(3, 30_000, 200, () => 1)).toBe(1600);
    expect(backoffMs(50, 30_000, 200, () => 1)).toBe(30_000);
    expect(backoffMs(50, 30_000, 200, () => 0)).toBe(15_000);
  });

  it('the source loops pace the same way, and reset on success', () => {
    const b = new Backoff(500, 15_000);
    const waits = Array.from({ length: 8 }, () => b.next());
    expect(waits[0]).toBeGreaterThanOrEqual(250);
    expect(waits[0]).toBeLessThanOrEqual(500);
    expect(Math.max(...waits)).toBeLessThanOrEqual(15_000);
    expect(b.failures).toBe(8);
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(500);
  });
});
