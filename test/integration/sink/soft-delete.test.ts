/**
 * SINK_DELETE_MODE=soft through the real stack. The rule under test: soft mode ends where hard mode
 * ends for every live row (the out-of-order scenario of per-cell.test.ts, one change per
 * transaction and folded in one batch), and where hard mode removes a row soft mode keeps it with
 * `_cdc_deleted_at` = the write time of the change that removed it. A marked row is absent: an older
 * change never revives it, a newer one does (only the cells written after the delete). `reconcile`
 * (ScyllaDB = the emulator) counts marked rows as absent and repairs by marking and reviving.
 */
import cassandra from 'cassandra-driver';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../support/scylla-emulator/index.js';
import { runCli } from '../../helpers/cli.js';
import { T, expected, runScenario } from './per-cell-scenario.js';
import { closeProducer, pgPool, query, randomName } from './sink-harness.js';
import { PG_URL } from '../../helpers/stack-env.js';

const schema = randomName('sink_soft');

describe('SINK_DELETE_MODE=soft', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('keeps removed rows marked; live rows equal hard mode (and ScyllaDB), one by one and folded', async () => {
    await runScenario(schema, randomName('g'), { SINK_DELETE_MODE: 'soft' }, async ({ single, folded }) => {
      for (const fx of [single, folded]) {
        const live = await query(`SELECT pk, ck, a, b, c, _cdc_ts_us::text AS ts FROM "${schema}"."${fx.spec.table}" WHERE _cdc_deleted_at IS NULL ORDER BY pk, ck`);
        expect(live, fx === single ? 'one change per transaction' : 'folded').toEqual(expected);
      }
      // Rows that reached PostgreSQL before their delete stay, with their last values. (Folded, a
      // row made and removed inside one batch is never written, as in hard mode.)
      const marked = await query(
        `SELECT pk, ck, a, b, to_char(_cdc_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS deleted FROM "${schema}"."${single.spec.table}" WHERE _cdc_deleted_at IS NOT NULL ORDER BY pk, ck`,
      );
      const iso = (us: number) => new Date(Math.floor((T + us) / 1000)).toISOString().slice(0, 23) + String((T + us) % 1000).padStart(3, '0');
      expect(marked).toEqual([
        { pk: 'p', ck: 2, a: 'a', b: null, deleted: iso(20) }, // partition delete at 20; the later write at 18 did not revive it
        { pk: 'r2', ck: 1, a: 'x', b: null, deleted: iso(20) }, // the older write at 15 did not revive it
        { pk: 'r4', ck: 2, a: null, b: 'b2', deleted: iso(40) }, // its last live cell set to null at 40
      ]);
    });
  });

  it('reconcile counts marked rows as absent; --repair marks and revives', async () => {
    const emu = await startEmulator({ port: 0, seed: 11 });
    const scylla = new cassandra.Client({ contactPoints: [emu.contactPoint], localDataCenter: 'datacenter1' });
    const ks = randomName('sks');
    try {
      await scylla.connect();
      await scylla.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      await scylla.execute(`CREATE TABLE ${ks}.items (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
      for (const id of [1, 2, 3]) await scylla.execute(`INSERT INTO ${ks}.items (id, v) VALUES (?, ?)`, [id, `v${id}`], { prepare: true });
      const env = { PG_URL, PG_SCHEMA: schema, SCYLLA_CONTACT_POINTS: emu.contactPoint, SCYLLA_CONSISTENCY: 'ONE', SINK_DELETE_MODE: 'soft' };
      const reconcile = async (mode: '--dry-run' | '--repair') => {
        const r = await runCli(['reconcile', '--table', `${ks}.items`, mode, '--ranges', '4'], env, 120_000);
        if (r.code !== 0 && r.code !== 3) throw new Error(`reconcile exit ${r.code}: ${r.err}`);
        return { code: r.code, out: r.out };
      };
      const rows = () => query(`SELECT id, v, _cdc_deleted_at IS NOT NULL AS deleted FROM "${schema}".items ORDER BY id`);
      await reconcile('--repair');
      expect(await rows()).toEqual([1, 2, 3].map((id) => ({ id, v: `v${id}`, deleted: false })));

      await scylla.execute(`DELETE FROM ${ks}.items WHERE id = 2`);
      expect((await reconcile('--dry-run')).code).toBe(3); // row 2 is extra in PostgreSQL
      await reconcile('--repair');
      expect(await rows()).toEqual([
        { id: 1, v: 'v1', deleted: false },
        { id: 2, v: 'v2', deleted: true },
        { id: 3, v: 'v3', deleted: false },
      ]);
      expect((await reconcile('--dry-run')).code).toBe(0); // the marked row counts as absent: equal

      await scylla.execute(`INSERT INTO ${ks}.items (id, v) VALUES (2, 'back')`);
      expect((await reconcile('--dry-run')).code).toBe(3); // missing in PostgreSQL although its marked row is there
      await reconcile('--repair');
      expect(await rows()).toEqual([
        { id: 1, v: 'v1', deleted: false },
        { id: 2, v: 'back', deleted: false },
        { id: 3, v: 'v3', deleted: false },
      ]);
    } finally {
      await scylla.shutdown();
      await emu.close();
    }
  });
});
