/**
 * `reconcile` with the sink's SINK_TABLE_MAP and SINK_EXCLUDE_COLUMNS: it repairs into, and compares
 * against, the table the sink writes (crm.folks, not PG_SCHEMA.people), without the excluded column.
 * ScyllaDB is the emulator; PostgreSQL is the real one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { runCli } from '../../helpers/cli.js';
import { PG_URL, randomName } from '../../helpers/stack-env.js';

const [schema, crm, ks] = [randomName('reconcile_map'), randomName('crm'), randomName('rks')];
const dir = mkdtempSync(join(tmpdir(), 'reconcile-map-'));
const db = new pg.Client({ connectionString: PG_URL });
let emu: EmulatorHandle, scylla: cassandra.Client;

async function reconcile(mode: '--dry-run' | '--repair'): Promise<{ code: number | null; counts: Record<string, number>; err: string }> {
  const report = join(dir, `${Date.now()}.json`);
  const env = {
    PG_URL,
    PG_SCHEMA: schema,
    SCYLLA_CONTACT_POINTS: emu.contactPoint,
    SCYLLA_CONSISTENCY: 'ONE',
    SINK_TABLE_MAP: `${ks}.people=${crm}.folks`,
    SINK_EXCLUDE_COLUMNS: `${ks}.people.email`,
  };
  const r = await runCli(['reconcile', '--table', `${ks}.people`, mode, '--report', report, '--ranges', '4'], env, 120_000);
  return { code: r.code, counts: (JSON.parse(readFileSync(report, 'utf8')) as { counts: Record<string, number> }).counts, err: r.err };
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 11 });
  scylla = new cassandra.Client({ contactPoints: [emu.contactPoint], localDataCenter: 'datacenter1' });
  await scylla.connect();
  await scylla.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await scylla.execute(`CREATE TABLE ${ks}.people (id int PRIMARY KEY, name text, email text) WITH cdc = {'enabled': true}`);
  for (let id = 0; id < 5; id++) await scylla.execute(`INSERT INTO ${ks}.people (id, name, email) VALUES (?, ?, ?)`, [id, `n${id}`, `${id}@x`], { prepare: true });
  await db.connect();
});

afterAll(async () => {
  for (const s of [schema, crm]) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await db.end();
  await scylla.shutdown();
  await emu.close();
});

describe('reconcile with SINK_TABLE_MAP and SINK_EXCLUDE_COLUMNS', () => {
  it('repairs into the mapped table without the excluded column, then compares against it', async () => {
    const first = await reconcile('--repair');
    expect(first.counts.missing_in_target, first.err).toBe(5);
    const cols = await db.query<{ c: string }>(
      `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'folks' AND column_name NOT LIKE '\\_cdc\\_%' ORDER BY ordinal_position`,
      [crm],
    );
    expect(cols.rows.map((r) => r.c)).toEqual(['id', 'name']);
    expect((await db.query(`SELECT id, name FROM "${crm}".folks ORDER BY id`)).rows).toEqual([0, 1, 2, 3, 4].map((id) => ({ id, name: `n${id}` })));
    expect((await db.query(`SELECT to_regclass($1) AS r`, [`"${schema}".people`])).rows).toEqual([{ r: null }]);

    const clean = await reconcile('--dry-run');
    expect([clean.code, clean.counts.missing_in_target, clean.counts.mismatches, clean.counts.extra_in_target], clean.err).toEqual([0, 0, 0, 0]);

    // A difference in the mapped table is seen there (exit 3: discrepancies).
    await db.query(`UPDATE "${crm}".folks SET name = 'changed' WHERE id = 2`);
    const dirty = await reconcile('--dry-run');
    expect([dirty.code, dirty.counts.mismatches], dirty.err).toEqual([3, 1]);
  }, 240_000);
});
