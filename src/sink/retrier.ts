/**
 * Retries a sink step with capped backoff until it succeeds, the sink stops, or the error is one no
 * retry can fix (classify-error.ts fatalError: exit 2). The caller says which dependency the step
 * waits for; that one is reported unhealthy while it fails.
 */
import { backoffMs } from '../core/backoff.js';
import { ReplicatorError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { retries } from '../metrics/sink-metrics.js';
import { fatalError } from './core/classify-error.js';
import type { HealthPart, SinkHealth } from './sink-health.js';

export interface RetryStep {
  /** The `stage` label of cdc_sink_retries_total and of the log line. */
  stage: string;
  /** The dependency reported unhealthy while the step fails. */
  health?: HealthPart;
  /** Called after each failure, before the backoff (e.g. a consumer heartbeat). */
  onFail?: () => Promise<unknown> | void;
  /** Keep retrying while the sink stops (its start-up step: stop waits for it). */
  whileStopping?: boolean;
}

export interface RetrierDeps {
  maxMs: number;
  log: Logger;
  health: SinkHealth;
  running: () => boolean;
  /** A fatal error met while retrying: the caller ends the sink (it is also thrown). */
  onFatal: (err: ReplicatorError, cause: unknown) => void;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Retrier {
  constructor(private readonly d: RetrierDeps) {}

  async run<T>(step: RetryStep, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const fatal = fatalError(err);
        if (fatal) {
          this.d.onFatal(fatal, err);
          throw fatal;
        }
        if (step.health) this.d.health.set(step.health, false);
        retries.inc({ stage: step.stage });
        const delay = backoffMs(attempt, this.d.maxMs);
        this.d.log.warn({ err, stage: step.stage, attempt, delayMs: delay }, 'transient failure; retrying');
        await step.onFail?.();
        await sleep(delay);
        if (!this.d.running() && !step.whileStopping) throw new ReplicatorError('CDC_CLOSED', 'sink stopped while retrying', false, { cause: err });
      }
    }
  }
}
