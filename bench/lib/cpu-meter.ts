/**
 * CPU seconds per process during a measured interval (issue 14's per-process profile): our sink and
 * source and the Connect JVM (each its process tree), every PostgreSQL process on the box, the Kafka
 * broker and the registry JVMs when found, and the harness itself. Read from /proc (utime + stime),
 * so nothing is asked of the processes; a snapshot at each end of the interval, the difference per
 * 100,000 changes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { CLK_TCK, cpuSeconds, readStat } from './topology-probes.js';
import { round } from './util.js';

export interface CpuSnapshot {
  /** performance.now() when taken */
  at: number;
  seconds: Record<string, number>;
  /** our Node processes' main thread alone (the rest of `seconds` is decode workers, GC, libuv) */
  mainThread: Record<string, number>;
  loadAvg1m: number;
}

export interface CpuInterval {
  /** what the interval spans */
  interval: string;
  wallSeconds: number;
  changes: number;
  /** CPU seconds (utime + stime) per process in the interval */
  seconds: Record<string, number>;
  perHundredKChanges: Record<string, number>;
  /** of `seconds`, our sink's / source's main thread (JS, event loop); Node does not name its other threads */
  mainThreadSeconds: Record<string, number>;
  mainThreadPerHundredKChanges: Record<string, number>;
  loadAvg1m: { before: number; after: number };
}

export interface CpuReport extends CpuInterval {
  /** the same from the spawn of the children (start-up included), when the interval above starts later */
  whole?: CpuInterval;
  notes: string;
}

export const CPU_NOTES =
  "utime+stime from /proc. postgres: every process whose comm is postgres, plus the postmaster's reaped children (backends that ended), i.e. the whole server, which other sessions and the registry's storage share; kafka / registry: the broker and registry JVMs found by their command line; bench-harness: this process (generator, producer, polls, the in-process emulator of source/e2e, the ceiling and copy-limit clients)";

const pids = (): string[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d));

/**
 * The whole PostgreSQL server: each process's own time, and the reaped children's (cutime/cstime,
 * only the postmaster has any), so backends that ended inside the interval still count.
 */
function postgresSeconds(): number {
  let ticks = 0;
  for (const p of pids()) {
    const st = readStat(p);
    if (st?.comm === 'postgres') ticks += st.ticks;
  }
  return ticks / CLK_TCK;
}

/** The first JVM whose command line contains `needle`, or null (a shell or grep naming it is not one). */
function findByCmdline(needle: string): number | null {
  for (const p of pids()) {
    try {
      if (readStat(p)?.comm === 'java' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle)) return Number(p);
    } catch {
      /* gone */
    }
  }
  return null;
}

let services: Record<string, number> | undefined;
/** The broker and the registry of the stack, looked up once per run. */
function stackServices(): Record<string, number> {
  if (!services) {
    services = {};
    const kafka = findByCmdline('kafka.Kafka');
    // the registry's own jar: the Connect JVM's class path holds apicurio-registry-* converter jars
    const registry = findByCmdline('apicurio-registry-app');
    if (kafka !== null) services.kafka = kafka;
    if (registry !== null) services.registry = registry;
  }
  return services;
}

/** utime + stime of one thread: the main thread's id is the process id. */
function threadSeconds(pid: number): number {
  const st = readStat(`${pid}/task/${pid}`);
  return st ? st.own / CLK_TCK : 0;
}

/** Our children by name (their process trees), the stack's services, postgres and the harness. */
export function cpuSnapshot(children: Record<string, number> = {}, nodeChildren: readonly string[] = ['sink', 'source']): CpuSnapshot {
  const seconds: Record<string, number> = {};
  const mainThread: Record<string, number> = {};
  for (const [name, pid] of Object.entries(children)) if (nodeChildren.includes(name)) mainThread[name] = threadSeconds(pid);
  for (const [name, pid] of Object.entries({ ...children, ...stackServices() })) seconds[name] = cpuSeconds(pid);
  seconds.postgres = postgresSeconds();
  const self = process.cpuUsage();
  seconds['bench-harness'] = (self.user + self.system) / 1e6;
  return { at: performance.now(), seconds, mainThread, loadAvg1m: round(loadavg()[0]!, 2) };
}

/** Per name: the CPU seconds between the two, and the same per 100,000 changes. */
function deltas(a: Record<string, number>, b: Record<string, number>, changes: number): [Record<string, number>, Record<string, number>] {
  const seconds: Record<string, number> = {};
  const per: Record<string, number> = {};
  for (const [name, after] of Object.entries(b)) {
    const d = Math.max(0, after - (a[name] ?? 0));
    seconds[name] = round(d, 2);
    per[name] = changes > 0 ? round((d * 100_000) / changes, 2) : 0;
  }
  return [seconds, per];
}

export function cpuInterval(a: CpuSnapshot, b: CpuSnapshot, changes: number, interval: string): CpuInterval {
  const [seconds, perHundredKChanges] = deltas(a.seconds, b.seconds, changes);
  const [mainThreadSeconds, mainThreadPerHundredKChanges] = deltas(a.mainThread, b.mainThread, changes);
  return {
    interval,
    wallSeconds: round((b.at - a.at) / 1000, 2),
    changes: Math.round(changes),
    seconds,
    perHundredKChanges,
    mainThreadSeconds,
    mainThreadPerHundredKChanges,
    loadAvg1m: { before: a.loadAvg1m, after: b.loadAvg1m },
  };
}

/**
 * Snapshots from now (`children`: our processes by name → pid, measured as process trees). `done`
 * reports the interval from here (`label` says what it spans) over `changes`; when `first()` was
 * called (the first change visible) and `steadyChanges` is given (the changes applied after it, as
 * rowsPerSec counts them), the report is that steady interval, with the whole one in `whole`.
 */
export function cpuMeter(children: Record<string, number>, label: string): { first: () => void; done: (changes: number, steadyChanges?: number | null) => CpuReport } {
  const start = cpuSnapshot(children);
  let first: CpuSnapshot | null = null;
  return {
    first: () => {
      first ??= cpuSnapshot(children);
    },
    done: (changes, steadyChanges = null) => {
      const end = cpuSnapshot(children);
      const whole = cpuInterval(start, end, changes, label);
      if (!first || steadyChanges === null || steadyChanges <= 0) return { ...whole, notes: CPU_NOTES };
      return { ...cpuInterval(first, end, steadyChanges, 'first change visible (sink, e2e) / read back (source) → every change applied / read'), whole, notes: CPU_NOTES };
    },
  };
}

const SHORT: Record<string, string> = { postgres: 'pg', 'bench-harness': 'harness', 'connect-jvm': 'connect', registry: 'reg' };

/** The table's "CPU s/100k" cell: `sink=3.1 pg=4.0 kafka=1.2 …` (processes that used none left out). */
export function cpuSummary(cpu: unknown): string {
  const per = (cpu as CpuReport | undefined)?.perHundredKChanges;
  if (!per) return '-';
  return Object.entries(per)
    .filter(([, v]) => v >= 0.05)
    .map(([k, v]) => `${SHORT[k] ?? k}=${v.toFixed(1)}`)
    .join(' ');
}
