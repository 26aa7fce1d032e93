/**
 * Runs `scylla-pg-cdc source|sink` as real child processes (the CLI users run), so faults are real:
 * kill -9 leaves whatever the process had in flight, exactly as in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface Instance {
  name: string;
  role: 'source' | 'sink';
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export class Supervisor {
  private readonly instances = new Map<string, Instance>();
  private nextPort: number;

  constructor(
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    basePort: number,
  ) {
    this.nextPort = basePort;
    mkdirSync(logDir, { recursive: true });
  }

  start(role: 'source' | 'sink', name: string): Instance {
    const port = this.nextPort++;
    // Ports count up from a base chosen per run; a leftover from an earlier run on one of them makes
    // that instance exit at start, which the run reports as a crash.
    const log = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, role], {
      env: { ...process.env, ...this.env, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const inst = { name, role, port, child, exited };
    this.instances.set(name, inst);
    return inst;
  }

  get(name: string): Instance | undefined {
    return this.instances.get(name);
  }

  /** Processes up and not being stopped: a fault picking a victim must not take one that is draining. */
  running(role?: 'source' | 'sink'): Instance[] {
    return [...this.instances.values()].filter((i) => i.child.exitCode === null && i.child.signalCode === null && !this.leaving.has(i.name) && (!role || i.role === role));
  }

  private readonly leaving = new Set<string>();

  async kill9(name: string): Promise<void> {
    const inst = this.instances.get(name);
    if (!inst || inst.child.exitCode !== null) return;
    inst.child.kill('SIGKILL');
    await inst.exited;
    this.instances.delete(name);
  }

  /** Graceful stop: SIGTERM, the process drains and exits 0 (a non-zero exit is reported). */
  async stop(name: string, timeoutMs = 60_000): Promise<number | null> {
    const inst = this.instances.get(name);
    if (!inst) return 0;
    this.leaving.add(name);
    inst.child.kill('SIGTERM');
    const code = await Promise.race([inst.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    if (code === 'timeout') {
      inst.child.kill('SIGKILL');
      await inst.exited;
      this.instances.delete(name);
      this.leaving.delete(name);
      return -1;
    }
    this.instances.delete(name);
    this.leaving.delete(name);
    return code;
  }

  /** Stops every process gracefully; returns those that did not drain and exit 0 (a finding). */
  async stopAll(): Promise<string[]> {
    const names = [...this.instances.keys()];
    const codes = await Promise.all(names.map((n) => this.stop(n, 30_000)));
    return names.flatMap((n, i) => (codes[i] === 0 ? [] : [`${n} did not drain on SIGTERM (exit ${codes[i] === -1 ? 'timeout, killed' : String(codes[i])})`]));
  }

  /**
   * Processes that died on their own: a non-zero exit, or a signal we did not send (kill9 forgets
   * the instances it kills, so any signal death still listed here is somebody else's).
   */
  crashed(): Instance[] {
    return [...this.instances.values()].filter((i) => (i.child.exitCode !== null && i.child.exitCode !== 0) || i.child.signalCode !== null);
  }
}
