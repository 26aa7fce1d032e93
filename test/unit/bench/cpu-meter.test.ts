import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuInterval, cpuSnapshot, cpuSummary, type CpuSnapshot } from '../../../bench/lib/cpu-meter.js';

const snap = (at: number, seconds: Record<string, number>): CpuSnapshot => ({ at, seconds, mainThread: {}, loadAvg1m: 1 });

describe('cpu-meter (bench: CPU seconds per process per 100k changes)', () => {
  it('takes the difference per process and scales it to 100,000 changes', () => {
    const i = cpuInterval(snap(1000, { sink: 2, postgres: 10 }), snap(6000, { sink: 5, postgres: 16, kafka: 1 }), 200_000, 'x');
    expect(i.wallSeconds).toBe(5);
    expect(i.seconds).toEqual({ sink: 3, postgres: 6, kafka: 1 });
    expect(i.perHundredKChanges).toEqual({ sink: 1.5, postgres: 3, kafka: 0.5 });
  });

  it('summarises the per-100k figures with short names, leaving out processes that used none', () => {
    const i = cpuInterval(snap(0, {}), snap(1, { sink: 3.1, postgres: 4, 'bench-harness': 0.01 }), 100_000, 'x');
    expect(cpuSummary(i)).toBe('sink=3.1 pg=4.0');
    expect(cpuSummary(undefined)).toBe('-');
  });

  it('reads a real process tree: a child that burned 0.3 s of CPU shows at least that', async () => {
    // The child spins until its own CPU clock says 0.3 s, then reports and waits: no wall-clock guess.
    const child = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < 3e5); console.log("burnt"); setInterval(() => {}, 1000);'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const before = cpuSnapshot({ child: child.pid! });
      await once(child.stdout!, 'data');
      const after = cpuSnapshot({ child: child.pid! }, ['child']);
      expect(after.seconds.child).toBeGreaterThanOrEqual(0.29);
      // the spinning is the main thread's; the tree's total holds it and Node's other threads
      expect(after.mainThread.child).toBeGreaterThanOrEqual(0.29);
      expect(after.mainThread.child).toBeLessThanOrEqual(after.seconds.child!);
      expect(after.seconds.child).toBeGreaterThan(before.seconds.child!);
      expect(after.seconds['bench-harness']).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000); // 0.3 s of CPU can take long on a loaded box; the wait is for the child's word, not a time
});
