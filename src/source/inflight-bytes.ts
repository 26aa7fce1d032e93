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
 * a page is let through whatever its size, so a page larger than the limit still goes; waiting
 * queries are served in order, so such a page is not passed for ever by smaller ones.
 */
export class InflightBytes {
  private used = 0;
  /** Reservations waiting, served in order: a page larger than what is free is not passed by smaller ones for ever. */
  private queue: { n: number; go: () => void }[] = [];

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.used;
  }

  /** Whether a reservation of `n` bytes would go at once (else its slot commits first: see above). */
  admits(n: number): boolean {
    return this.queue.length === 0 && this.fits(n);
  }

  /** Whether a query is waiting for room (its slot's batch then must not wait for a page to be committed). */
  get waiting(): boolean {
    return this.queue.length > 0;
  }

  add(n: number): void {
    this.used += n;
  }

  release(n: number): void {
    this.used -= n;
    while (this.queue.length > 0 && this.fits(this.queue[0]!.n)) {
      const head = this.queue.shift()!;
      this.used += head.n;
      head.go();
    }
  }

  /** Waits for its turn and until `n` more bytes fit, then counts them. */
  async reserve(n: number): Promise<void> {
    if (this.admits(n)) {
      this.used += n;
      return;
    }
    await new Promise<void>((go) => this.queue.push({ n, go }));
  }

  private fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.limit;
  }
}
