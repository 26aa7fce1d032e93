/**
 * Flush lanes (SINK_FLUSH_CONCURRENCY > 1) on the real stack.
 *
 * 1. A clustered table over 8 partitions (each Scylla partition key in one Kafka partition, as the
 *    source writes), inserts, partial updates, row deletes and partition deletes of the same keys,
 *    three lanes, a kill -9 mid-run, then a restart to the end: the table is exactly the model
 *    computed here, the audit trigger shows no change applied twice and that transactions of the
 *    table did overlap (the lanes ran), the stored offsets are the high watermarks, no dead letter,
 *    no fence.
 * 2. One key produced into two partitions (a producer that does not keep a key in one partition):
 *    the two lanes race to insert it; the loser's unique violation is retried alone, not
 *    dead-lettered, and the newer write wins.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../../../src/config/sink-config.js';
import { createSinkProcess } from '../../../src/sink/main.js';
import {
  closeProducer,
  createTopic,
  doubleApplied,
  kafka,
  pgPool,
  produce,
  query,
  randomName,
  sinkEnv,
  storedOffset,
  storedTotal,
  topicFixture,
  waitFor,
  type TopicFixture,
} from './sink-harness.js';
import { rng } from './workload.js';

const schema = randomName('sink_lanes');

interface Row {
  pk: string;
  ck: string;
  n: string;
  v: string | null;
}

/**
 * The change stream and its model. Write times grow with every change, so the end state is the
 * last write of each cell; `n` = the index of the row key's change that last wrote it. A partition
 * delete removes every row of its partition key. The Kafka partition is pk mod partitions.
 */
function laneWorkload(fx: TopicFixture, opts: { pks: number; cks: number; changes: number; partitions: number; seed: number }) {
  const rand = rng(opts.seed);
  const t0 = 1_700_000_000_000_000;
  const rows = new Map<number, Map<number, { n: number; v: string | null }>>();
  const count = new Map<string, number>();
  const messages: { key: Buffer; value: Buffer; partition: number }[] = [];
  const perPartition = new Array<number>(opts.partitions).fill(0);
  let partitionDeletes = 0;
  for (let i = 0; i < opts.changes; i++) {
    const r = rand();
    const pk = Math.floor(rand() * opts.pks);
    const partition = pk % opts.partitions;
    perPartition[partition]!++;
    const tsUs = t0 + i;
    const part = rows.get(pk) ?? new Map<number, { n: number; v: string | null }>();
    rows.set(pk, part);
    if (r < 0.0005) {
      partitionDeletes++;
      part.clear();
      messages.push({ ...fx.encode({ op: 'd', key: { pk, ck: null }, tsUs, changeKind: 'partition_delete' }), partition });
      continue;
    }
    const ck = Math.floor(rand() * opts.cks);
    const idx = (count.get(`${pk}/${ck}`) ?? 0) + 1;
    count.set(`${pk}/${ck}`, idx);
    const cur = part.get(ck);
    let enc;
    if (!cur) {
      part.set(ck, { n: idx, v: `c${i}` });
      enc = fx.encode({ op: 'c', key: { pk, ck }, after: { n: { value: idx }, v: { value: `c${i}` } }, tsUs });
    } else if (r < 0.1) {
      part.delete(ck);
      enc = fx.encode({ op: 'd', key: { pk, ck }, tsUs });
    } else {
      cur.n = idx;
      const after: Record<string, unknown> = { n: { value: idx } };
      if (r < 0.6) {
        cur.v = r < 0.15 ? null : `u${i}`;
        after.v = { value: cur.v };
      }
      enc = fx.encode({ op: 'u', key: { pk, ck }, after, tsUs });
    }
    messages.push({ ...enc, partition });
  }
  const expected: Row[] = [];
  for (const [pk, part] of [...rows].sort((a, b) => a[0] - b[0]))
    for (const [ck, row] of [...part].sort((a, b) => a[0] - b[0])) expected.push({ pk: String(pk), ck: String(ck), n: String(row.n), v: row.v });
  return { messages, expected, perPartition, partitionDeletes };
}

/** Audit of every row write: key, write time, transaction, its start and the wall clock (to see transactions overlap). */
async function installLaneAudit(table: string, keyExpr: string): Promise<void> {
  const audit = `"${schema}"."${table}_audit"`;
  await pgPool.query(
    `CREATE TABLE ${audit} (n bigserial PRIMARY KEY, k text NOT NULL, ts bigint, xid bigint DEFAULT txid_current(), began timestamptz DEFAULT now(), at timestamptz DEFAULT clock_timestamp())`,
  );
  await pgPool.query(`CREATE FUNCTION "${schema}"."${table}_audit_fn"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ${audit} (k, ts) VALUES (${keyExpr}, NEW._cdc_ts_us); RETURN NULL; END $$`);
  await pgPool.query(`CREATE TRIGGER audit AFTER INSERT OR UPDATE ON "${schema}"."${table}" FOR EACH ROW EXECUTE FUNCTION "${schema}"."${table}_audit_fn"()`);
}

/** Pairs of the table's transactions that were open at the same time (from their start to their last row write). */
async function overlappingTransactions(table: string): Promise<number> {
  const spans = `SELECT xid, min(began) AS s, max(at) AS e FROM "${schema}"."${table}_audit" GROUP BY xid`;
  const [row] = await query<{ c: string }>(`SELECT count(*)::text AS c FROM (${spans}) a JOIN (${spans}) b ON a.xid < b.xid AND a.s < b.e AND b.s < a.e`);
  return Number(row!.c);
}

async function dlqSize(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('flush lanes', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('three lanes, partition deletes and a kill -9: exact contents, offsets at the end, nothing twice, no dead letter', async () => {
    const partitions = 8;
    const fx = await topicFixture(
      {
        key: [
          { name: 'pk', type: 'long' },
          { name: 'ck', type: 'int' },
        ],
        columns: [
          { name: 'n', type: 'long' },
          { name: 'v', type: 'string' },
        ],
      },
      partitions,
    );
    const table = fx.spec.table;
    const seed = Number(process.env.LANES_SEED ?? Math.floor(Math.random() * 1e9));
    console.log(`flush lanes test seed ${seed}`);
    const w = laneWorkload(fx, { pks: 600, cks: 4, changes: 60_000, partitions, seed });
    const total = BigInt(w.messages.length);
    const group = randomName('g');
    const dlq = randomName('dlq');
    await createTopic(dlq, 1);
    await pgPool.query(`CREATE SCHEMA "${schema}"`);
    await pgPool.query(`CREATE TABLE "${schema}"."${table}" (pk bigint, ck integer, n bigint, v text, _cdc_ts_us bigint, _cdc_cts jsonb, PRIMARY KEY (pk, ck))`);
    await installLaneAudit(table, `NEW.pk || '/' || NEW.ck`);
    await produce(fx.topic, w.messages);

    const env = {
      SINK_TOPICS: fx.topic,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      DLQ_TOPIC: dlq,
      SINK_FLUSH_CONCURRENCY: '3',
      PG_POOL_SIZE: '4',
      SINK_BATCH_SIZE: '400',
      SINK_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
    };
    const logs: string[] = [];
    const spawnSink = (): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sink'], { env: { ...process.env, ...sinkEnv(env) }, stdio: ['ignore', 'pipe', 'pipe'] });
      for (const s of [child.stdout!, child.stderr!])
        s.on('data', (d: Buffer) =>
          logs.push(
            ...d
              .toString()
              .split('\n')
              .filter((l) => l !== ''),
          ),
        );
      return child;
    };
    const progress = () => storedTotal(schema, group, fx.topic, partitions);

    const first = spawnSink();
    const killAt = BigInt(Math.floor(Number(total) * (0.3 + ((seed % 1000) / 1000) * 0.3)));
    try {
      await waitFor(`progress past ${killAt}`, async () => (await progress()) >= killAt, 120_000);
    } finally {
      const exited = new Promise((r) => first.once('exit', r));
      first.kill('SIGKILL');
      await exited;
    }
    const killedAt = await progress();
    const last = spawnSink();
    try {
      await waitFor('all applied', async () => (await progress()) === total, 150_000);
    } finally {
      const exited = new Promise((r) => last.once('exit', r));
      last.kill('SIGTERM');
      await exited;
    }
    const overlaps = await overlappingTransactions(table);
    console.log(`flush lanes test (seed ${seed}): ${total} changes, ${w.partitionDeletes} partition deletes, killed at ${killedAt}, ${overlaps} overlapping transaction pairs`);

    expect(killedAt).toBeLessThan(total);
    for (let p = 0; p < partitions; p++) expect(await storedOffset(schema, group, fx.topic, p)).toBe(BigInt(w.perPartition[p]!));
    const rows = await query<Row & Record<string, unknown>>(`SELECT t.pk::text AS pk, t.ck::text AS ck, t.n::text AS n, t.v FROM "${schema}"."${table}" AS t ORDER BY t.pk, t.ck`);
    expect(rows.length).toBe(w.expected.length);
    expect(rows).toEqual(w.expected);
    expect(await doubleApplied(schema, table)).toEqual([]);
    expect(overlaps).toBeGreaterThan(0);
    expect(await dlqSize(dlq)).toBe(0);
    expect(logs.filter((l) => /fenced: another owner|record dead-lettered|retrying the batch alone/.test(l))).toEqual([]);
    expect(last.exitCode).toBe(0);
  }, 330_000);

  // UPDATEs go through the MERGE, which raises the race as a unique violation; whole-row INSERTs go
  // through INSERT … ON CONFLICT (docs/sink.md, "Two apply paths"), which waits for the other lane
  // and then updates: no violation, nothing to retry.
  for (const [op, retries] of [
    ['u', 1],
    ['c', 0],
  ] as const)
    it(`one key in two partitions (op ${op}): two lanes racing to insert it end right, ${retries ? 'the unique violation retried alone' : 'without a violation'}, not dead-lettered`, async () => {
      const fx = await topicFixture({ key: [{ name: 'id', type: 'long' }], columns: [{ name: 'v', type: 'string' }] }, 2);
      const table = fx.spec.table;
      const dlq = randomName('dlq');
      await createTopic(dlq, 1);
      await pgPool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await pgPool.query(`CREATE TABLE "${schema}"."${table}" (id bigint PRIMARY KEY, v text, _cdc_ts_us bigint, _cdc_cts jsonb)`);
      // The first insert of key 42 stays uncommitted for 5 s: the other lane's insert of it waits on
      // the unique index, then the MERGE fails with 23505 and ON CONFLICT updates the committed row.
      await pgPool.query(`CREATE FUNCTION "${schema}"."${table}_slow"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(5); RETURN NULL; END $$`);
      await pgPool.query(`CREATE TRIGGER slow AFTER INSERT ON "${schema}"."${table}" FOR EACH ROW WHEN (NEW.id = 42) EXECUTE FUNCTION "${schema}"."${table}_slow"()`);
      const t = 1_700_000_000_000_000;
      const lines: string[] = [];
      const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
      const cfg = loadSinkConfig(
        sinkEnv({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: randomName('g'), DLQ_TOPIC: dlq, SINK_FLUSH_CONCURRENCY: '2', PG_POOL_SIZE: '4' }),
      );
      const proc = createSinkProcess(cfg, log);
      await proc.start();
      const stored = async (p: number) => storedOffset(schema, cfg.sinkGroupId, fx.topic, p);
      try {
        // First one other key, so the table's columns are added (DDL, which would wait for a running
        // batch and serialize the lanes) before the race.
        await produce(fx.topic, [{ ...fx.encode({ op: 'c', key: { id: 1 }, after: { v: { value: 'warm' } }, tsUs: t }), partition: 0 }]);
        await waitFor('the first key applied', async () => (await stored(0)) === 1n, 60_000);
        await produce(fx.topic, [
          { ...fx.encode({ op, key: { id: 42 }, after: { v: { value: 'older' } }, tsUs: t + 1 }), partition: 0 },
          { ...fx.encode({ op, key: { id: 42 }, after: { v: { value: 'newer' } }, tsUs: t + 2 }), partition: 1 },
        ]);
        await waitFor('both offsets stored', async () => (await stored(0)) === 2n && (await stored(1)) === 1n, 60_000);
      } finally {
        await proc.stop();
      }
      expect(await query(`SELECT id::text, v, _cdc_ts_us::text AS ts FROM "${schema}"."${table}" ORDER BY id`)).toEqual([
        { id: '1', v: 'warm', ts: String(t) },
        { id: '42', v: 'newer', ts: String(t + 2) },
      ]);
      expect(await dlqSize(dlq)).toBe(0);
      expect(lines.filter((l) => l.includes('retrying the batch alone'))).toHaveLength(retries);
    }, 120_000);
});
