/**
 * The Kafka bytes (Avro keys + values) a source process has built but not yet committed, over all
 * its slots: what grows with the number of busy slots once windows stream page by page. A slot
 * whose next page would push the count past SOURCE_MAX_INFLIGHT_BYTES first commits what it holds
 * (a smaller transaction), then waits until other slots' commits bring the count back under it.
 * Every slot that waits holds nothing uncommitted, so the bytes over the limit always belong to
 * batches that are being committed or will be at their next page: no slot waits for ever.
 */
export class InflightBytes {
  private used = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.used;
  }

  get over(): boolean {
    return this.used >= this.limit;
  }

  add(n: number): void {
    this.used += n;
  }

  release(n: number): void {
    this.used -= n;
    if (this.over) return;
    const ready = this.waiters;
    this.waiters = [];
    for (const wake of ready) wake();
  }

  /** Resolves once the count is under the limit. */
  async below(): Promise<void> {
    while (this.over) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
