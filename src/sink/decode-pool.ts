/**
 * The piscina pool of decode workers (SINK_WORKERS). Under tsx/vitest this module is a .ts file and
 * so is the worker: the worker gets `--import tsx` to load TypeScript; from dist both are .js.
 */
import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import type { DecodeJob, RawRecord, WorkerOutput } from './core/decode-record.js';
import { jobBytes } from './core/job-bytes.js';

const YOUNG_GENERATION_MB = 8;

export class DecodePool {
  private readonly pool: Piscina;
  private closed = false;

  /** `heapMb`: the old-generation limit of each worker; a worker past it ends alone, not the process. */
  /**
   * `onError`: a worker that dies while no task of ours runs on it (piscina's pool 'error' event).
   * Without a listener that event would be thrown as an uncaught exception and end the process.
   */
  constructor(workers: number, heapMb: number, onError: (err: unknown) => void = () => undefined) {
    const ts = import.meta.url.endsWith('.ts');
    const filename = fileURLToPath(new URL(`../../workers/decode.worker.${ts ? 'ts' : 'js'}`, import.meta.url));
    this.pool = new Piscina({
      filename,
      minThreads: workers,
      maxThreads: workers,
      // The consumer's in-flight byte limit (SINK_MAX_INFLIGHT_BYTES) is the real bound on queued
      // work. 'auto' (threads²) was too small: one fetch across many partitions queued more jobs and
      // piscina rejected them ("Task queue is at limit"), costing a retry each; this stays a backstop.
      maxQueue: 1024,
      idleTimeout: 60_000,
      // The young generation only holds one job's output until it is posted to the main thread (where
      // it is copied). Sized from heapMb (64 MiB at the default 512) it made each worker's heap 83 MiB;
      // 16 MiB gave ~34 MiB, and 8 MiB ~24 MiB at the same speed, with jobs of a quarter of a fetch
      // of the 24 MiB default bound (core/fetch-sizes.ts) and packed output (docs/sink.md, "Memory").
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      ...(ts ? { execArgv: [...process.execArgv.filter((a) => !a.startsWith('--inspect')), '--import', 'tsx'] } : {}),
    });
    this.pool.on('error', onError);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * `timeoutMs` counts from submission; on expiry a running task's worker is terminated and replaced.
   * `cancelled` aborts the job the same way (a queued one just leaves the queue).
   */
  async run(records: RawRecord[], schemas: Record<number, string>, timeoutMs?: number, cancelled?: AbortSignal): Promise<WorkerOutput> {
    if (this.closed) throw new Error('decode pool is closed');
    const bytes = jobBytes(records); // moved to the worker, not cloned (core/job-bytes.ts)
    const job: DecodeJob = { buffer: bytes.buffer, lengths: bytes.lengths, schemas };
    const signals = [...(timeoutMs === undefined ? [] : [AbortSignal.timeout(timeoutMs)]), ...(cancelled ? [cancelled] : [])];
    const transferList = [bytes.buffer, bytes.lengths.buffer as ArrayBuffer];
    return (await this.pool.run(job, signals.length === 0 ? { transferList } : { transferList, signal: AbortSignal.any(signals) })) as WorkerOutput;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}
