/**
 * Sink processes for the multi-process tests: `scylla-pg-cdc sink` spawned as an OS process (the CLI
 * users run, under tsx), each with its own metrics port and log file, so a kill -9 leaves whatever
 * the process had in flight, as in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port.js';
import { sinkEnv } from './sink-harness.js';

export interface SinkProc {
  name: string;
  port: number;
  child: ChildProcess;
  /** Exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string>;
  /** Set when this test sent the signal that ends it (a death not in here is a crash). */
  signalled?: 'SIGTERM' | 'SIGKILL';
}

export async function spawnSink(name: string, env: Record<string, string>, logDir: string): Promise<SinkProc> {
  const port = await freePort();
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sink'], {
    env: { ...process.env, ...sinkEnv({ LOG_LEVEL: 'info', ...env }), METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { name, port, child, exited };
}

export interface SinkStatus {
  assigned: { topic: string; partition: number }[];
  /** Changes this process committed to PostgreSQL since it started. */
  changes: number;
}

/** The process's /status, or undefined while it is not serving (starting, gone). */
export async function sinkStatus(p: SinkProc): Promise<SinkStatus | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${p.port}/status`);
    return res.ok ? ((await res.json()) as SinkStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM: the sink drains, commits and leaves the group; resolves with its exit code. */
export async function stopSink(p: SinkProc): Promise<number | string> {
  p.signalled = 'SIGTERM';
  p.child.kill('SIGTERM');
  return p.exited;
}

export async function kill9(p: SinkProc): Promise<void> {
  p.signalled = 'SIGKILL';
  p.child.kill('SIGKILL');
  await p.exited;
}

/** A process that died without being told to (non-zero exit or a signal not sent by the test). */
export function crashed(procs: SinkProc[]): string[] {
  return procs.filter((p) => !p.signalled && (p.child.exitCode !== null || p.child.signalCode !== null)).map((p) => `${p.name} exited ${p.child.exitCode ?? p.child.signalCode}`);
}

/**
 * Whether `procs` together hold every partition of `topic` exactly once and each of them holds at
 * least one: the group settled after a join or a leave.
 */
export async function settled(procs: SinkProc[], topic: string, partitions: number): Promise<Map<string, SinkStatus> | undefined> {
  const out = new Map<string, SinkStatus>();
  const held: number[] = [];
  for (const p of procs) {
    const s = await sinkStatus(p);
    const mine = s?.assigned.filter((a) => a.topic === topic) ?? [];
    if (!s || mine.length === 0) return undefined;
    out.set(p.name, s);
    held.push(...mine.map((a) => a.partition));
  }
  return held.length === partitions && new Set(held).size === partitions ? out : undefined;
}
