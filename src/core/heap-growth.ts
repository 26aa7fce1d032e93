/**
 * How far V8 lets a process's heaps grow past their live size before a full collection
 * (SINK_HEAP_GROWING_PERCENT, SOURCE_HEAP_GROWING_PERCENT), set at start through V8's `--heap-growing-percent` flag.
 *
 * Why: a decoded change lives from its decode until its batch commits — seconds, long enough to be
 * promoted to the old generation, where it then dies. With V8's own heuristics (growth up to 4× the
 * live size when collections look cheap) the main thread's heap reached 384–453 MiB draining a
 * 200k-change backlog while its live size was ~70 MiB (a heap snapshot mid-drain), and the process
 * 600–800 MiB. At 20 % the main heap stayed at 166–176 MiB; 50 % (the default) kept the process's
 * peak RSS as low (373–398 MiB against 514–566 with V8's heuristics) at V8's own speed, where 20 %
 * cost ~10 % of it in collections (docs/sink.md, "Memory").
 *
 * V8 reads the flag at every collection, so setting it after start takes effect (unlike
 * `--max-old-space-size`, fixed when the heap is created); it is process-wide, so the decode
 * workers' heaps follow it too. A value given on the command line or in NODE_OPTIONS wins.
 */
import v8 from 'node:v8';

const FLAG = '--heap-growing-percent';

/** Applies `percent` (0 = leave V8's heuristics) unless the operator set the flag themselves; returns what was set. */
export function applyHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): number | null {
  if (percent <= 0) return null;
  if (execArgv.some((a) => a.startsWith(FLAG)) || nodeOptions.includes(FLAG)) return null;
  v8.setFlagsFromString(`${FLAG}=${percent}`);
  return percent;
}
