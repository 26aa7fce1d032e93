/** Exponential backoff with full jitter, capped (SINK_RETRY_MAX_MS). `random` is injectable for tests. */
export function backoffMs(attempt: number, capMs: number, baseMs = 200, random: () => number = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(baseMs / 2, Math.floor(exp / 2 + (random() * exp) / 2));
}
