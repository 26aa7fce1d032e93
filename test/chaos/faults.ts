/**
 * The faults of the chaos run, each a real event for the pipeline's processes: SIGKILL, a Kafka
 * broker or PostgreSQL server restart, ScyllaDB (emulator) connection drops, timeouts and late
 * log visibility, a CDC generation change, processes joining and leaving.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { ensureStack, portOpen, stopStack } from '../../scripts/stack-control.js';
import type { EmulatorHandle } from '../support/scylla-emulator/index.js';
import type { Rng } from './prng.js';
import type { Supervisor } from './supervisor.js';

export type FaultKind =
  | 'kill-source'
  | 'kill-sink'
  | 'extra-source-join-leave'
  | 'extra-sink-join-leave'
  | 'kafka-restart'
  | 'postgres-restart'
  | 'scylla-drop-connections'
  | 'scylla-timeouts'
  | 'generation-change'
  | 'late-visibility';

export const ALL_FAULTS: FaultKind[] = [
  'kill-source',
  'kill-sink',
  'extra-source-join-leave',
  'extra-sink-join-leave',
  'kafka-restart',
  'postgres-restart',
  'scylla-drop-connections',
  'scylla-timeouts',
  'generation-change',
  'late-visibility',
];

export interface FaultContext {
  rng: Rng;
  emu: EmulatorHandle;
  sup: Supervisor;
  confidenceWindowMs: number;
  log: (line: string) => void;
  /** Names for replacement processes. */
  nextName: (role: 'source' | 'sink') => string;
  /** A finding made while injecting (e.g. a process that did not drain when asked to leave). */
  problem: (what: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pgCluster(): string {
  const versions = readdirSync('/etc/postgresql').sort();
  return versions.at(-1)!;
}

/**
 * Injects one fault and returns once it has healed (processes restarted, services back). Returns
 * false when there was nothing to inject it into (no running victim): not counted as injected.
 */
export async function inject(kind: FaultKind, ctx: FaultContext): Promise<boolean> {
  const { sup, emu, rng } = ctx;
  switch (kind) {
    case 'kill-source':
    case 'kill-sink': {
      const role = kind === 'kill-source' ? 'source' : 'sink';
      const victim = rng.pick(sup.running(role));
      if (!victim) return false;
      await sup.kill9(victim.name);
      // Down for a while, as after a real crash (restart policy delay).
      await sleep(rng.int(500, 4000));
      sup.start(role, ctx.nextName(role));
      return true;
    }
    case 'extra-source-join-leave':
    case 'extra-sink-join-leave': {
      const role = kind === 'extra-source-join-leave' ? 'source' : 'sink';
      const extra = sup.start(role, ctx.nextName(role));
      await sleep(rng.int(8000, 20000));
      // Leaving gracefully (SIGTERM: drain, commit) or not (SIGKILL), at random.
      if (rng.chance(0.5)) {
        const code = await sup.stop(extra.name);
        if (code !== 0) ctx.problem(`${extra.name} did not drain when leaving (exit ${code === -1 ? 'timeout, killed' : String(code)})`);
      } else await sup.kill9(extra.name);
      return true;
    }
    case 'kafka-restart':
      await stopStack({ only: ['kafka'], log: ctx.log });
      await sleep(rng.int(1000, 5000));
      await ensureStack({ only: ['kafka'], log: ctx.log });
      return true;
    case 'postgres-restart':
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgCluster(), 'main', 'restart', '-m', 'fast'], { stdio: 'ignore' });
      for (let i = 0; i < 120 && !(await portOpen(5432)); i++) await sleep(500);
      if (!(await portOpen(5432))) ctx.problem('PostgreSQL did not come back within 60 s of its restart');
      return true;
    case 'scylla-drop-connections':
      emu.dropConnections();
      return true;
    case 'scylla-timeouts':
      // Only the CDC readers' queries fail, as a loaded replica would answer them: the workload
      // keeps writing so the source has something to catch up on.
      emu.faults.set({
        failShare: 0.3,
        failKind: rng.pick(['read_timeout', 'unavailable'] as const),
        match: /scylla_cdc_log|system_distributed|cdc_streams|cdc_timestamps|token\(/,
      });
      await sleep(rng.int(5000, 15000));
      emu.faults.reset();
      return true;
    case 'generation-change':
      emu.addNode({ delayMs: rng.int(2000, 8000) });
      return true;
    case 'late-visibility':
      // Log rows visible up to ~80 % of the confidence window after their cdc$time: a correct reader
      // never reads that close to now, so nothing may be lost.
      emu.faults.set({ lateVisibilityMs: Math.floor(ctx.confidenceWindowMs * 0.8), lateVisibilityShare: 0.5 });
      await sleep(rng.int(5000, 15000));
      emu.faults.reset();
      return true;
  }
}
