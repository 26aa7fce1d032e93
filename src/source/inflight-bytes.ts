/**
 * What a source process holds for its slots, over all of them: the Kafka bytes (Avro keys + values)
 * built but not yet committed, and the log pages fetched but not yet turned into records (their
 * size on the wire). Both grow with the number of busy slots once windows stream page by page, and
 * SOURCE_MAX_INFLIGHT_BYTES bounds their sum.
 *
 * A query reserves its next page before fetching it (`reserve`, the size of its largest page) and
 * waits while the page would not fit; before waiting, its slot commits what it holds (a smaller
 * transaction). So every waiting query holds no page, and its slot nothing uncommitted from before
 * the wait: the bytes counted belong to pages being converted and batches being or about to be
 * committed, which are released without waiting, so no query waits for ever. With nothing counted
 * a page is let through whatever its size, so a page larger than the limit still goes.
 */
export class InflightBytes {
  private used = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.used;
  }

  /** Whether `n` more bytes would be let through now. */
  fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.limit;
  }

  /** Whether a query is waiting for room (its slot's batch then must not wait for a page to be committed). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  add(n: number): void {
    this.used += n;
  }

  release(n: number): void {
    this.used -= n;
    const ready = this.waiters;
    this.waiters = [];
    for (const wake of ready) wake();
  }

  /** Waits until `n` more bytes fit, then counts them. */
  async reserve(n: number): Promise<void> {
    while (!this.fits(n)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.used += n;
  }
}
