/**
 * The one lifecycle every I/O component has, and the shutdown order written down once.
 *
 * Shutdown (SIGTERM/SIGINT): stop intake → finish in-flight work (decode, last batch, open Kafka
 * transaction) → commit → close clients → exit 0. A second signal, or the deadline, forces exit 1:
 * nothing is lost by forcing, because offsets only move inside committed transactions.
 */
import type { Logger } from './log/logger.js';

export interface Service {
  /** Resolves when the service hit an error no retry can fix; the process then exits non-zero. */
  failed?: Promise<Error>;
  start(): Promise<void>;
  /** Idempotent; drains in-flight work before resolving. */
  stop(): Promise<void>;
}

export async function runUntilSignal(service: Service, log: Logger, shutdownTimeoutMs: number): Promise<number> {
  let stopping: Promise<void> | undefined;
  const done = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without draining');
        resolve(1);
        return;
      }
      log.info({ signal, shutdownTimeoutMs }, 'draining');
      const timer = setTimeout(() => {
        log.error({ shutdownTimeoutMs }, 'drain deadline passed: exiting; uncommitted work will be redone on restart');
        resolve(1);
      }, shutdownTimeoutMs);
      timer.unref();
      stopping = service.stop().then(
        () => {
          clearTimeout(timer);
          log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          log.error({ err }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void service.failed?.then(async (err) => {
      if (stopping) return;
      stopping = service.stop().catch((stopErr: unknown) => log.error({ err: stopErr }, 'stop after a fatal error'));
      await stopping;
      resolve((err as { exitCode?: number }).exitCode ?? 1);
    });
  });
  // A signal during start-up (a dependency still down, start() retrying) must not wait for start()
  // to finish: the signal's own outcome (drained, or the deadline) decides the exit.
  type Outcome = { kind: 'started' } | { kind: 'failed'; err: unknown } | { kind: 'signalled'; code: number };
  const first = await Promise.race<Outcome>([
    service.start().then(
      () => ({ kind: 'started' }),
      (err: unknown) => ({ kind: 'failed', err }),
    ),
    done.then((code) => ({ kind: 'signalled', code })),
  ]);
  if (first.kind === 'signalled') return first.code;
  if (first.kind === 'failed') {
    if (stopping) return done; // start() gave up because the signal is stopping the service
    log.fatal({ err: first.err }, 'start failed');
    await service.stop().catch((stopErr: unknown) => log.error({ err: stopErr }, 'stop after failed start'));
    return (first.err as { exitCode?: number }).exitCode ?? 1;
  }
  return done;
}
