/**
 * Runs async sections, shared or exclusive, granted in call order: an exclusive section waits for
 * every section called before it, a shared one only for the exclusive sections called before it.
 * The sink's concurrent flushes (flush lanes) are shared; (re)assignment and fencing are exclusive,
 * so a rebalance never interleaves with a commit, and flushes called after it wait for it rather
 * than starve it. A section that throws does not block the next.
 */
const settle = (p: Promise<unknown>): Promise<void> =>
  p.then(
    () => undefined,
    () => undefined,
  );

export class SharedLock {
  /** Settles once every section called so far has. */
  private all: Promise<void> = Promise.resolve();
  /** Settles once the last exclusive section called so far has. */
  private exclusive: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.all.then(fn);
    this.all = this.exclusive = settle(run);
    return run;
  }

  shared<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(fn);
    this.all = settle(Promise.all([this.all, settle(run)]));
    return run;
  }
}
