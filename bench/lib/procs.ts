/**
 * Child processes of a bench run: each in its own process group (so the JVM or a tsx loader chain is
 * stopped as a whole), with peak-RSS sampling from /proc, and a registry that stops every child on
 * exit, on SIGINT/SIGTERM and on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { sleep } from './util.js';

const live = new Set<BenchChild>();

export interface MemStats {
  /** max over the samples of the process tree's summed VmRSS (MiB) */
  peakRssMb: number;
  /** largest VmHWM of a single process of the tree (MiB), as the kernel recorded it */
  peakHwmMb: number;
}

function readStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** pid and all its descendants (scan of /proc/<pid>/stat ppid fields). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

export class BenchChild {
  readonly proc: ChildProcess;
  readonly name: string;
  private mem: MemStats = { peakRssMb: 0, peakHwmMb: 0 };
  private timer: NodeJS.Timeout;
  private exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;

  constructor(name: string, cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }) {
    this.name = name;
    const out = createWriteStream(opts.logFile);
    this.proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.pipe(out);
    this.proc.stderr?.pipe(out);
    this.exited = new Promise((resolve) =>
      this.proc.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
    live.add(this);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  sample(): void {
    if (!this.running || this.pid < 0) return;
    let rss = 0;
    for (const p of processTree(this.pid)) {
      rss += readStatusKb(p, 'VmRSS');
      this.mem.peakHwmMb = Math.max(this.mem.peakHwmMb, readStatusKb(p, 'VmHWM') / 1024);
    }
    this.mem.peakRssMb = Math.max(this.mem.peakRssMb, rss / 1024);
  }

  memory(): MemStats {
    return { peakRssMb: Math.round(this.mem.peakRssMb), peakHwmMb: Math.round(this.mem.peakHwmMb) };
  }

  /** SIGTERM to the process group, SIGKILL after graceMs. Resolves with the exit code. */
  async stop(graceMs = 20_000): Promise<number | null> {
    this.sample();
    clearInterval(this.timer);
    if (this.running && this.pid > 0) {
      this.signalGroup('SIGTERM');
      const t = await Promise.race([this.exited, sleep(graceMs).then(() => 'timeout' as const)]);
      if (t === 'timeout') {
        this.signalGroup('SIGKILL');
        await Promise.race([this.exited, sleep(5000)]);
      }
    }
    this.signalGroup('SIGKILL'); // children that outlived the leader (same group)
    live.delete(this);
    return this.exitCode ?? null;
  }

  /** kill -9 of the whole process group: nothing drains, as when a machine dies. The signal is sent before the first await. */
  async kill9(): Promise<void> {
    this.sample();
    clearInterval(this.timer);
    if (this.running && this.pid > 0) {
      this.signalGroup('SIGKILL');
      await this.exited;
    }
    live.delete(this);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      /* gone already */
    }
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(5000)));
}

function killAllSync(): void {
  for (const c of live) {
    try {
      if (c.pid > 0) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

let installed = false;
export function installCleanupHandlers(onSignal: () => Promise<void>): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n[bench] ${sig}: stopping children and cleaning up\n`);
      void onSignal().finally(() => {
        killAllSync();
        process.exit(130);
      });
    });
  }
}

/** Peak RSS of this (harness) process. */
export function selfMemory(): MemStats {
  return {
    peakRssMb: Math.round(readStatusKb(process.pid, 'VmHWM') / 1024),
    peakHwmMb: Math.round(readStatusKb(process.pid, 'VmHWM') / 1024),
  };
}
