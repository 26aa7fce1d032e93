/**
 * kill -9 of a child sink, twice, at random points of a 100,000-change backlog (inserts, partial
 * updates, deletes, re-inserts over 4 partitions), then a restart: the table ends exactly at the
 * expected state, each row's change counter is exact, the stored offsets are at the end, and the
 * audit trigger shows no row applied twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, doubleApplied, installAudit, pgPool, produce, randomName, sinkEnv, storedOffset, storedTotal, waitFor } from './sink-harness.js';
import { buildWorkload, createWorkloadTable, tableRows, workloadFixture } from './workload.js';

const schema = randomName('sink_crash');
const group = randomName('g');

function spawnSink(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sink'], { env: { ...process.env, ...sinkEnv(env) }, stdio: 'ignore' });
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('exactly once across kill -9', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('applies a 100k backlog exactly once with two kill -9 at random points', async () => {
    const partitions = 4;
    const fx = await workloadFixture(partitions);
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 1e9));
    // First, before any wait: a failure is reproducible only with its seed (CRASH_SEED=…).
    console.log(`crash test seed ${seed}`);
    const w = buildWorkload(fx, { keys: 5000, changes: 100_000, partitions, seed });
    const total = BigInt(w.messages.length);
    await createWorkloadTable(schema, fx.spec.table);
    await installAudit(schema, fx.spec.table, 't.id::text');
    const t0 = Date.now();
    await produce(fx.topic, w.messages);
    const produced = Date.now();
    const env = { SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_BATCH_SIZE: '2000', SINK_WORKERS: '1', SINK_SESSION_TIMEOUT_MS: '6000' };
    const progress = () => storedTotal(schema, group, fx.topic, partitions);
    // Kill points: a random fraction of what is left, so both kills land mid-stream.
    const kills: bigint[] = [];
    const frac01 = (n: number) => ((seed * (n + 1) * 2654435761) % 1000) / 1000; // kill points from the seed too
    for (const frac of [0.1 + frac01(0) * 0.2, 0.45 + frac01(1) * 0.2]) {
      const child = spawnSink(env);
      const target = BigInt(Math.floor(Number(total) * frac));
      try {
        await waitFor(`progress past ${target}`, async () => (await progress()) >= target, 60_000);
      } finally {
        await kill9(child);
      }
      kills.push(await progress());
    }
    const last = spawnSink(env);
    try {
      await waitFor('all applied', async () => (await progress()) === total, 90_000);
    } finally {
      const exited = new Promise((r) => last.once('exit', r));
      last.kill('SIGTERM');
      await exited;
    }
    console.log(
      `crash test (seed ${seed}): ${total} changes produced in ${((produced - t0) / 1000).toFixed(1)} s, killed at ${kills.join(', ')}, applied in ${((Date.now() - produced) / 1000).toFixed(1)} s`,
    );
    for (const k of kills) expect(k).toBeLessThan(total);
    for (let p = 0; p < partitions; p++) expect(await storedOffset(schema, group, fx.topic, p)).toBe(BigInt(w.perPartition[p]!));
    expect(await tableRows(schema, fx.spec.table)).toEqual(w.expected);
    expect(await doubleApplied(schema, fx.spec.table)).toEqual([]);
    expect(last.exitCode).toBe(0);
  }, 300_000); // the waits above add up to 210 s: the test's own budget must cover them
});
