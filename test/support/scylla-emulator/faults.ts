// Fault injection for reliability tests: dropped connections, slow responses, timeouts and
// unavailable errors for a share of (matching) queries, and late visibility of CDC log rows.
import { CqlError, ErrorCode } from './errors.js';
import type { Prng } from './prng.js';
import type { TableDef } from './schema/catalog.js';

export type FailKind = 'read_timeout' | 'write_timeout' | 'unavailable';

export interface FaultConfig {
  /** Fixed delay added before every response, ms. */
  delayMs?: number;
  /** Share (0..1) of requests whose connection is destroyed instead of answered. */
  dropShare?: number;
  /** Share (0..1) of matching queries failed with `failKind`. */
  failShare?: number;
  failKind?: FailKind;
  /** Only queries whose text matches this pattern are failed/dropped (default: all). */
  match?: string | RegExp;
  /** CDC log rows become readable this long after their write (0 = immediately). */
  lateVisibilityMs?: number;
  /** Share (0..1) of CDC writes that are late (default 1 when lateVisibilityMs is set). */
  lateVisibilityShare?: number;
  /** Restrict late visibility to these base tables ("ks.table"). */
  lateVisibilityTables?: string[];
}

export interface FaultDecision {
  delayMs: number;
  drop: boolean;
  error: CqlError | null;
}

const CL_ONE = 0x0001;

export function faultError(kind: FailKind, target: string, consistency = CL_ONE): CqlError {
  const cl = consistencyName(consistency);
  switch (kind) {
    case 'read_timeout':
      return new CqlError(ErrorCode.readTimeout, `Operation timed out for ${target} - received only 0 responses from 1 CL=${cl}.`, {
        kind: 'readTimeout',
        consistency,
        received: 0,
        blockFor: 1,
        dataPresent: false,
      });
    case 'write_timeout':
      return new CqlError(ErrorCode.writeTimeout, `Operation timed out for ${target} - received only 0 responses from 1 CL=${cl}.`, {
        kind: 'writeTimeout',
        consistency,
        received: 0,
        blockFor: 1,
        writeType: 'SIMPLE',
      });
    case 'unavailable':
      return new CqlError(ErrorCode.unavailable, `Cannot achieve consistency level for cl ${cl}. Requires 1, alive 0`, { kind: 'unavailable', consistency, required: 1, alive: 0 });
  }
}

const CL_NAMES: Record<number, string> = {
  0: 'ANY',
  1: 'ONE',
  2: 'TWO',
  3: 'THREE',
  4: 'QUORUM',
  5: 'ALL',
  6: 'LOCAL_QUORUM',
  7: 'EACH_QUORUM',
  8: 'SERIAL',
  9: 'LOCAL_SERIAL',
  10: 'LOCAL_ONE',
};
function consistencyName(cl: number): string {
  return CL_NAMES[cl] ?? String(cl);
}

export class Faults {
  private cfg: FaultConfig = {};
  private queued: { kind: FailKind | 'drop'; match?: RegExp }[] = [];
  /** Set by the server: destroys every open client connection. */
  dropAllConnections: () => number = () => 0;

  constructor(private readonly rng: Prng) {}

  set(cfg: FaultConfig): void {
    this.cfg = { ...this.cfg, ...cfg };
  }

  reset(): void {
    this.cfg = {};
    this.queued = [];
  }

  get config(): Readonly<FaultConfig> {
    return this.cfg;
  }

  /** Deterministic alternative to shares: fail the next `count` matching requests. */
  failNext(count: number, kind: FailKind | 'drop', match?: string | RegExp): void {
    const re = match === undefined ? undefined : typeof match === 'string' ? new RegExp(match, 'i') : match;
    for (let i = 0; i < count; i++) this.queued.push(re ? { kind, match: re } : { kind });
  }

  decide(query: string, isWrite: boolean, target: string, consistency: number): FaultDecision {
    const d: FaultDecision = { delayMs: this.cfg.delayMs ?? 0, drop: false, error: null };
    const qi = this.queued.findIndex((q) => !q.match || q.match.test(query));
    if (qi >= 0) {
      const q = this.queued.splice(qi, 1)[0]!;
      if (q.kind === 'drop') d.drop = true;
      else d.error = faultError(q.kind, target, consistency);
      return d;
    }
    const m = this.cfg.match;
    if (m !== undefined && !(typeof m === 'string' ? new RegExp(m, 'i') : m).test(query)) return d;
    if (this.cfg.dropShare && this.rng.next() < this.cfg.dropShare) {
      d.drop = true;
      return d;
    }
    if (this.cfg.failShare && this.rng.next() < this.cfg.failShare) {
      const kind = this.cfg.failKind ?? (isWrite ? 'write_timeout' : 'read_timeout');
      d.error = faultError(kind, target, consistency);
    }
    return d;
  }

  visibilityDelayMs(base: TableDef): number {
    const ms = this.cfg.lateVisibilityMs ?? 0;
    if (ms <= 0) return 0;
    const tables = this.cfg.lateVisibilityTables;
    if (tables && !tables.includes(`${base.keyspace}.${base.name}`)) return 0;
    const share = this.cfg.lateVisibilityShare ?? 1;
    if (share < 1 && this.rng.next() >= share) return 0;
    return ms;
  }
}
