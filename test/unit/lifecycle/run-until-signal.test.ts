/** The shutdown contract: drain on SIGTERM (exit 0), forced exit 1 at the deadline or on a second signal. */
import { afterEach, describe, expect, it } from 'vitest';
import { runUntilSignal, type Service } from '../../../src/lifecycle.js';
import { createLogger } from '../../../src/log/logger.js';

const log = createLogger('lifecycle-test', 'silent');

function service(stop: () => Promise<void>): Service & { stops: number } {
  const s = { stops: 0, start: () => Promise.resolve(), stop: () => (s.stops++, stop()) };
  return s;
}

afterEach(() => {
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
});

describe('runUntilSignal', () => {
  it('drains on SIGTERM and exits 0', async () => {
    const svc = service(() => new Promise((r) => setTimeout(r, 50)));
    const code = runUntilSignal(svc, log, 5_000);
    await new Promise((r) => setImmediate(r));
    process.emit('SIGTERM');
    expect(await code).toBe(0);
    expect(svc.stops).toBe(1);
  });

  it('exits 1 when the drain passes the deadline', async () => {
    const svc = service(() => new Promise(() => undefined)); // never drains
    const code = runUntilSignal(svc, log, 100);
    await new Promise((r) => setImmediate(r));
    process.emit('SIGTERM');
    expect(await code).toBe(1);
  });

  it('exits 1 at once on a second signal', async () => {
    const svc = service(() => new Promise(() => undefined));
    const code = runUntilSignal(svc, log, 60_000);
    await new Promise((r) => setImmediate(r));
    process.emit('SIGTERM');
    process.emit('SIGINT');
    expect(await code).toBe(1);
    expect(svc.stops).toBe(1);
  });

  it('a failed start stops what started and returns its exit code', async () => {
    const svc = { stops: 0, start: () => Promise.reject(Object.assign(new Error('bad config'), { exitCode: 2 })), stop: () => ((svc.stops += 1), Promise.resolve()) };
    expect(await runUntilSignal(svc, log, 1_000)).toBe(2);
    expect(svc.stops).toBe(1);
  });
});
