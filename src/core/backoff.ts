/**
 * The one retry pacing of every I/O loop (sink batches and start-up, source slots and start-up):
 * exponential from `baseMs`, capped at `capMs`, jittered over the upper half so processes that
 * failed together do not retry together. `random` is injectable for tests.
 */
export function backoffMs(attempt: number, capMs: number, baseMs = 200, random: () => number = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(baseMs / 2, Math.floor(exp / 2 + (random() * exp) / 2));
}
