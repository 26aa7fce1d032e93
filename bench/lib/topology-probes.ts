/**
 * What the topology scenario reads from outside a source process: its CPU time (/proc), its
 * Prometheus counters and its /status, and a poll-until helper. Nothing here asks the process
 * to report on itself beyond the endpoints an operator has.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processTree } from './procs.js';
import { sleep } from './util.js';

export async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | null> | T | null, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcStat {
  comm: string;
  /** utime + stime + cutime + cstime, ticks */
  ticks: number;
  /** utime + stime, ticks */
  own: number;
}

/** `/proc/<pid>/stat` (or `<pid>/task/<tid>`), null when the process is gone. */
export function readStat(pid: string): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const own = Number(f[11]) + Number(f[12]);
    return { comm, own, ticks: own + Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

/** utime + stime (seconds) of a process tree. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) ticks += readStat(String(p))?.own ?? 0;
  return ticks / CLK_TCK;
}

export { metricSum, total } from './metrics-scrape.js';

/** The part of a source's /status the scenario reads: its slots and whether it is ready. */
export interface SlotStatus {
  ready: boolean;
  assigned: number[];
}

/** null while the process does not answer yet (starting) or answers with an error. */
export async function slotStatus(port: number): Promise<SlotStatus | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status`);
    if (!res.ok) return null;
    const s = (await res.json()) as { ready?: boolean; slots?: { assigned?: number[] } };
    return { ready: s.ready === true, assigned: [...(s.slots?.assigned ?? [])] };
  } catch {
    return null;
  }
}
