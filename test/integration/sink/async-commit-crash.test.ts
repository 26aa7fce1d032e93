/**
 * SINK_SYNCHRONOUS_COMMIT=off against a PostgreSQL that crashes: the sink's last commits are
 * acknowledged before their WAL is written, so a crash loses them, rows and offsets together.
 * Exactly once must still hold: the sink notices that PostgreSQL holds less than it saw committed
 * (core/lost-commits.ts) and re-reads from the stored offsets, even when no new record arrives on
 * those partitions (the case a commit's fencing check alone never sees).
 *
 * The cluster is this file's own (test/helpers/pg-cluster.ts), with the WAL writer slowed to 10 s
 * so a commit's WAL stays in shared memory long enough for `pg_ctl stop -m immediate` to lose it.
 * Each round: a third of the workload produced, wait until the sink reports it all committed, crash,
 * restart, note what PostgreSQL lost. At the end: every row exact (the workload's own model), stored
 * offsets at the topic's end, no change applied twice (audit trigger), and at least one commit lost
 * (else the test proved nothing; three rounds make a miss unlikely).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../../helpers/pg-cluster.js';
import { freePort } from '../../helpers/free-port.js';
import { closeProducer, doubleApplied, installAudit, produce, randomName, sinkEnv, storedTotal, waitFor } from './sink-harness.js';
import { buildWorkload, createWorkloadTable, tableRows, workloadFixture } from './workload.js';

const schema = randomName('sink_async');
const group = randomName('g');
let cluster: PgCluster | undefined;
let db: pg.Pool | undefined;
let sink: ChildProcess | undefined;

/** Sum of the offsets the sink says it committed (its /status), or undefined while it cannot say. */
async function committedBySink(port: number): Promise<bigint | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const body = (await res.json()) as { assigned?: { nextOffset: string }[] };
  return (body.assigned ?? []).reduce((s, a) => s + BigInt(a.nextOffset), 0n);
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('asynchronous commit and a PostgreSQL crash', () => {
  afterAll(async () => {
    if (sink && sink.exitCode === null) {
      const exited = new Promise((r) => sink!.once('exit', r));
      sink.kill('SIGKILL');
      await exited;
    }
    await closeProducer();
    await db?.end();
    cluster?.stop();
  });

  it('loses the last commits in the crash and re-reads them: exact rows, offsets at the end, nothing applied twice', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 1e9));
    console.log(`async-commit crash seed ${seed}`);
    cluster = await startPgCluster({
      hba: ['host all all 127.0.0.1/32 trust'],
      // WAL of an asynchronous commit reaches the OS only when the WAL writer wakes (or a page fills):
      // slow it down and give WAL room, and keep autovacuum from writing WAL of its own.
      conf: ['wal_writer_delay = 10000ms', 'wal_buffers = 64MB', 'shared_buffers = 128MB', 'autovacuum = off'],
    });
    const url = `postgres://postgres@127.0.0.1:${cluster.port}/postgres`;
    db = new pg.Pool({ connectionString: url, max: 2 });
    db.on('error', () => undefined); // idle clients die with the crash
    const partitions = 4;
    const fx = await workloadFixture(partitions);
    const w = buildWorkload(fx, { keys: 2000, changes: 15_000, partitions, seed });
    const total = BigInt(w.messages.length);
    await createWorkloadTable(schema, fx.spec.table, db);
    await installAudit(schema, fx.spec.table, 't.id::text', db);

    const port = await freePort();
    sink = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sink'], {
      env: {
        ...process.env,
        ...sinkEnv({
          PG_URL: url,
          SINK_TOPICS: fx.topic,
          PG_SCHEMA: schema,
          SINK_GROUP_ID: group,
          SINK_BATCH_SIZE: '500',
          SINK_SYNCHRONOUS_COMMIT: 'off',
          SINK_SESSION_TIMEOUT_MS: '6000',
          METRICS_PORT: String(port),
        }),
      },
      stdio: 'ignore',
    });

    const lostPerRound: bigint[] = [];
    const third = Math.ceil(w.messages.length / 3);
    let produced = 0n;
    for (let round = 0; round < 3; round++) {
      const chunk = w.messages.slice(round * third, (round + 1) * third);
      await produce(fx.topic, chunk);
      produced += BigInt(chunk.length);
      await waitFor(`round ${round}: the sink reports ${produced} committed`, async () => (await committedBySink(port)) === produced, 120_000);
      // At once: the last commits' WAL is still in shared memory (the WAL writer sleeps 10 s).
      cluster.crash();
      cluster.start();
      const stored = await storedTotal(schema, group, fx.topic, partitions, db);
      lostPerRound.push(produced - stored);
      console.log(`round ${round}: sink committed ${produced}, PostgreSQL holds ${stored} after the crash`);
      // The sink must get back to everything by itself: nothing new arrives until the next round.
      await waitFor(`round ${round}: PostgreSQL holds ${produced} again`, async () => (await storedTotal(schema, group, fx.topic, partitions, db)) === produced, 120_000);
    }

    expect(
      lostPerRound.some((l) => l > 0n),
      `no commit was lost in any round: ${lostPerRound.join(', ')}`,
    ).toBe(true);
    expect(await storedTotal(schema, group, fx.topic, partitions, db)).toBe(total);
    expect(await tableRows(schema, fx.spec.table, db)).toEqual(w.expected);
    expect(await doubleApplied(schema, fx.spec.table, db)).toEqual([]);
    // Each round that lost commits was noticed as such (a partition counted once per detection).
    expect(await metric(port, 'cdc_sink_lost_commits_total')).toBeGreaterThanOrEqual(lostPerRound.filter((l) => l > 0n).length);
  }, 480_000);
});
