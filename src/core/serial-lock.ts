/**
 * Runs async sections one after another, in call order; a section that throws does not block the
 * next. The sink uses one for PostgreSQL writes and (re)assignment, so a rebalance never interleaves
 * with a commit.
 */
export class SerialLock {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
