import { describe, expect, it } from 'vitest';
import { SharedLock } from '../../../src/core/shared-lock.js';

/** A section that logs its start and end and ends when `release` is called. */
function gate(log: string[], name: string): { fn: () => Promise<void>; release: () => void } {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    fn: async () => {
      log.push(`${name}+`);
      await done;
      log.push(`${name}-`);
    },
    release: () => release(),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('SharedLock', () => {
  it('runs shared sections together', async () => {
    const lock = new SharedLock();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const pa = lock.shared(a.fn);
    const pb = lock.shared(b.fn);
    await tick();
    expect(log).toEqual(['a+', 'b+']);
    b.release();
    a.release();
    await Promise.all([pa, pb]);
    expect(log).toEqual(['a+', 'b+', 'b-', 'a-']);
  });
  it('an exclusive section waits for the shared ones before it and holds off those after it', async () => {
    const lock = new SharedLock();
    const log: string[] = [];
    const a = gate(log, 'a');
    const x = gate(log, 'x');
    const b = gate(log, 'b');
    const pa = lock.shared(a.fn);
    const px = lock.run(x.fn);
    const pb = lock.shared(b.fn);
    await tick();
    expect(log).toEqual(['a+']);
    a.release();
    await pa;
    await tick();
    expect(log).toEqual(['a+', 'a-', 'x+']);
    x.release();
    await px;
    await tick();
    expect(log).toEqual(['a+', 'a-', 'x+', 'x-', 'b+']);
    b.release();
    await pb;
  });
  it('exclusive sections run one after another, and a failing section blocks nothing', async () => {
    const lock = new SharedLock();
    const log: string[] = [];
    const p1 = lock.run(async () => {
      log.push('1');
      throw new Error('boom');
    });
    const p2 = lock.run(async () => {
      log.push('2');
    });
    const p3 = lock.shared(async () => {
      log.push('3');
    });
    await expect(p1).rejects.toThrow('boom');
    await p2;
    await p3;
    expect(log).toEqual(['1', '2', '3']);
  });
});
