import type { Generation } from './core/generation-plan.js';
import type { GenerationReader } from './generation-reader.js';
import type { TableRuntime } from './slot-context.js';

/**
 * The generation list per table (tablets) or per cluster (vnodes: one list for every table), shared
 * by all slots of the process and re-read after a short time; a failed read is forgotten so the
 * next call retries it.
 */
export class GenerationCache {
  private readonly entries = new Map<string, { at: number; gens: Promise<Generation[]>; resolved?: Generation[] }>();

  constructor(
    private readonly reader: GenerationReader,
    private readonly confidenceWindowMs: number,
    private readonly now: () => number,
  ) {}

  list(t: TableRuntime): Promise<Generation[]> {
    const key = t.mode === 'vnodes' ? 'vnodes' : t.name;
    const cached = this.entries.get(key);
    const now = this.now();
    // Refresh faster than the confidence window: a tablets stream set starts "now", and it must
    // be known before any window reaches its start (ScyllaDB docs/features/cdc/cdc-stream-changes.rst).
    const ttl = Math.max(100, Math.min(2_000, Math.floor(this.confidenceWindowMs / 2)));
    if (cached && now - cached.at < ttl) return cached.gens;
    const gens = this.reader.list(t.mode, t.model.keyspace, t.model.table);
    const entry: { at: number; gens: Promise<Generation[]>; resolved?: Generation[] } = { at: now, gens };
    this.entries.set(key, entry);
    gens.then(
      (g) => (entry.resolved = g),
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return gens;
  }

  /** The lists read so far, for /status. */
  summary(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.entries) {
      if (v.resolved)
        out[k] = v.resolved.map((g) => ({
          start: new Date(g.startMs).toISOString(),
          end: g.endMs ? new Date(g.endMs).toISOString() : null,
          units: g.units.length,
          streams: g.units.reduce((n, u) => n + u.streams.length, 0),
        }));
    }
    return out;
  }
}
