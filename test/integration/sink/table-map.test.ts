/**
 * SINK_TABLE_MAP and SINK_EXCLUDE_COLUMNS on real Kafka, registry and PostgreSQL: an exact entry
 * and a pattern put each table in its schema.table (creates, updates, deletes applied there, the
 * table claimed for its source), an excluded column is never created and the rest is written, an
 * unmapped table keeps the default; bad configuration exits 2 naming the variable and the entry.
 * Two sources that patterns put onto one table: same-table-name.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../../helpers/cli.js';
import { PG_URL } from '../../helpers/stack-env.js';
import { closeProducer, pgPool, produce, query, randomName, sinkEnv, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_map');
const crm = randomName('crm');
const arch = randomName('arch');

afterAll(async () => {
  await closeProducer();
  for (const s of [schema, crm, arch]) await pgPool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await pgPool.end();
});

const columnsOf = async (s: string, t: string) =>
  (
    await query<{ c: string }>(
      `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name NOT LIKE '\\_cdc\\_%' ORDER BY ordinal_position`,
      [s, t],
    )
  ).map((r) => r.c);
const commentOf = async (s: string, t: string) => (await query<{ c: string | null }>(`SELECT obj_description(to_regclass($1), 'pg_class') AS c`, [`"${s}"."${t}"`]))[0]?.c;
const dlqOf = (sink: ReturnType<typeof startSink>) => (sink.proc.sink.status() as { dlq: Record<string, number> }).dlq;

describe('SINK_TABLE_MAP and SINK_EXCLUDE_COLUMNS', () => {
  it('exact and pattern entries land in their schema.table, without the excluded columns, changes applied', async () => {
    const [ks1, ks2] = [randomName('ka'), randomName('kb')];
    const cols = [
      { name: 'name', type: 'string' as const },
      { name: 'email', type: 'string' as const },
      { name: 'ssn', type: 'string' as const },
    ];
    const users = await topicFixture({ keyspace: ks1, key: [{ name: 'id', type: 'int' }], columns: cols });
    const orders = await topicFixture({ keyspace: ks2, key: [{ name: 'id', type: 'int' }], columns: cols });
    const plain = await topicFixture({ keyspace: ks1, key: [{ name: 'id', type: 'int' }], columns: cols });
    const group = randomName('g');
    const sink = startSink({
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      DLQ_TOPIC: randomName('dlq'),
      SINK_TOPICS: [users.topic, orders.topic, plain.topic].join(','),
      SINK_TABLE_MAP: `${ks1}.${users.spec.table}=${crm}.people_eu, ${ks2}.*=${arch}.{keyspace}_{table}`,
      SINK_EXCLUDE_COLUMNS: `${ks1}.${users.spec.table}.email,*.*.ssn`,
    });
    await sink.started;
    try {
      const t = 1_700_000_000_000_000;
      for (const fx of [users, orders, plain]) {
        await produce(fx.topic, [
          fx.encode({ op: 'c', key: { id: 1 }, after: { name: { value: 'a' }, email: { value: 'a@x' }, ssn: { value: '111' } }, tsUs: t }),
          fx.encode({ op: 'c', key: { id: 2 }, after: { name: { value: 'b' }, email: { value: 'b@x' }, ssn: { value: '222' } }, tsUs: t + 1 }),
          fx.encode({ op: 'u', key: { id: 1 }, after: { name: { value: 'a2' }, ssn: { value: '333' } }, tsUs: t + 2 }),
          fx.encode({ op: 'u', key: { id: 2 }, after: { email: { value: 'b2@x' } }, tsUs: t + 3 }),
          fx.encode({ op: 'd', key: { id: 2 }, tsUs: t + 4 }),
          fx.encode({ op: 'c', key: { id: 3 }, after: { name: { value: 'c' }, email: { value: 'c@x' } }, tsUs: t + 5 }),
        ]);
      }
      for (const fx of [users, orders, plain]) await waitFor(`${fx.topic} applied`, async () => (await storedOffset(schema, group, fx.topic)) === 6n);
      expect(dlqOf(sink)).toEqual({});

      // Exact entry: crm.people_eu, without email (this table's rule) and ssn (every table's).
      expect(await columnsOf(crm, 'people_eu')).toEqual(['id', 'name']);
      expect(await query(`SELECT id, name FROM "${crm}".people_eu ORDER BY id`)).toEqual([
        { id: 1, name: 'a2' },
        { id: 3, name: 'c' },
      ]);
      expect(await commentOf(crm, 'people_eu')).toBe(`scylla-pg-cdc replicates ${ks1}.${users.spec.table}`);

      // Pattern: arch.<keyspace>_<table>, email kept (the email rule names another table).
      const archived = `${ks2}_${orders.spec.table}`;
      expect(await columnsOf(arch, archived)).toEqual(['id', 'name', 'email']);
      expect(await query(`SELECT id, name, email FROM "${arch}"."${archived}" ORDER BY id`)).toEqual([
        { id: 1, name: 'a2', email: 'a@x' },
        { id: 3, name: 'c', email: 'c@x' },
      ]);
      expect(await commentOf(arch, archived)).toBe(`scylla-pg-cdc replicates ${ks2}.${orders.spec.table}`);

      // Unmapped: the default schema and name; the mapped tables are not there.
      expect(await columnsOf(schema, plain.spec.table)).toEqual(['id', 'name', 'email']);
      expect(await query(`SELECT id, name, email FROM "${schema}"."${plain.spec.table}" ORDER BY id`)).toEqual([
        { id: 1, name: 'a2', email: 'a@x' },
        { id: 3, name: 'c', email: 'c@x' },
      ]);
      expect(await query(`SELECT to_regclass($1) AS r, to_regclass($2) AS o`, [`"${schema}"."${users.spec.table}"`, `"${schema}"."${orders.spec.table}"`])).toEqual([
        { r: null, o: null },
      ]);
      // The merge functions stay in PG_SCHEMA: the operator's schemas get only their tables.
      expect(await query(`SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ($1, $2)`, [crm, arch])).toEqual([]);
    } finally {
      await sink.proc.stop();
    }
  }, 120_000);

  it('a role without CREATE on the database writes into schemas made for it', async () => {
    // PostgreSQL checks that right before IF NOT EXISTS: the sink must not ask for schemas that exist.
    const role = randomName('mapper');
    const [own, target] = [randomName('sink_own'), randomName('crm_own')];
    await pgPool.query(`CREATE ROLE "${role}" LOGIN PASSWORD 'pw'`);
    try {
      for (const s of [own, target]) await pgPool.query(`CREATE SCHEMA "${s}" AUTHORIZATION "${role}"`);
      const ks = randomName('kd');
      const fx = await topicFixture({ keyspace: ks, key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
      const url = new URL(PG_URL);
      [url.username, url.password] = [role, 'pw'];
      const group = randomName('g');
      const sink = startSink({
        PG_URL: url.toString(),
        PG_SCHEMA: own,
        SINK_GROUP_ID: group,
        SINK_TOPICS: fx.topic,
        DLQ_TOPIC: randomName('dlq'),
        SINK_TABLE_MAP: `${ks}.*=${target}.t_{table}`,
      });
      await sink.started;
      try {
        await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { v: { value: 'x' } }, tsUs: 1 })]);
        await waitFor('applied', async () => (await storedOffset(own, group, fx.topic)) === 1n);
        expect(await query(`SELECT id, v FROM "${target}"."t_${fx.spec.table}"`)).toEqual([{ id: 1, v: 'x' }]);
      } finally {
        await sink.proc.stop();
      }
    } finally {
      for (const s of [own, target]) await pgPool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await pgPool.query(`DROP ROLE "${role}"`);
    }
  }, 120_000);

  it('refuses at start-up, exit 2 naming SINK_TABLE_MAP and the entry: two tables onto one, an unknown placeholder', async () => {
    const env = sinkEnv({ PG_SCHEMA: schema, SINK_TABLE_MAP: `ks1.users=${crm}.users,ks2.users=${crm}.users,ks3.*=${crm}.{tabel}` });
    const r = await runCli(['sink'], env, 60_000);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain('SINK_TABLE_MAP: ks3.*=');
    expect(r.err).toContain('unknown placeholder {tabel}');
    // The collision needs the syntax right first (a second pass): alone, it is reported too.
    const r2 = await runCli(['sink'], sinkEnv({ PG_SCHEMA: schema, SINK_TABLE_MAP: `ks1.users=${crm}.users,ks2.users=${crm}.users` }), 60_000);
    expect(r2.code, r2.err).toBe(2);
    expect(r2.err).toContain(`SINK_TABLE_MAP: ks2.users=${crm}.users: ks1.users=${crm}.users maps another table onto the same target ${crm}.users`);
  }, 120_000);

  it('a key column in SINK_EXCLUDE_COLUMNS stops the sink with exit 2 when its records arrive, nothing written', async () => {
    const ks = randomName('kc');
    const fx = await topicFixture({ keyspace: ks, key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const group = randomName('g');
    const { child, log, exited } = spawnCli(
      ['sink'],
      sinkEnv({ PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_TOPICS: fx.topic, DLQ_TOPIC: randomName('dlq'), SINK_EXCLUDE_COLUMNS: `${ks}.*.ID`, LOG_LEVEL: 'info' }),
    );
    try {
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { v: { value: 'x' } }, tsUs: 1 })]);
      // Only a guard against a sink that never exits (then the code is null and the test fails).
      const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const code = await exited;
      clearTimeout(guard);
      expect(code, log().slice(-3000)).toBe(2);
      expect(log()).toContain(`SINK_EXCLUDE_COLUMNS: ${ks}.*.ID names a key column of ${ks}.${fx.spec.table}`);
      expect((await storedOffset(schema, group, fx.topic)) ?? 0n).toBe(0n); // the record was not committed
      expect(await query(`SELECT to_regclass($1) AS r`, [`"${schema}"."${fx.spec.table}"`])).toEqual([{ r: null }]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
