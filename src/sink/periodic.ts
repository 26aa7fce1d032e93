/**
 * A background task of the sink that runs every `intervalMs` (0 = never), one run at a time, never
 * overlapping itself, and whose failure is logged and retried on the next run instead of stopping
 * the sink: the purges (TTL expiry, tombstone retention) are housekeeping, not the data path.
 */
import type { Logger } from '../log/logger.js';

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => Promise<unknown>,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  start(firstInMs = 0): void {
    if (this.intervalMs <= 0) return;
    this.schedule(firstInMs);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn({ err }, `${this.what} failed; retried next round`))
        .finally(() => this.schedule(this.intervalMs));
    }, ms);
    this.timer.unref();
  }
}
