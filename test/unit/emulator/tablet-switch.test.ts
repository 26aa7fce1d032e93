// The emulator's tablet stream-set switches (test/support/scylla-emulator/cdc/tablets.ts): a new
// set never starts at or before a write already logged in the old one, or that write would be in
// neither set's [start, next start) and a reader would never see it.
import { describe, expect, it } from 'vitest';
import { bulkWrite } from '../../support/scylla-emulator/bulk.js';
import { defaultEngineOptions, Engine } from '../../support/scylla-emulator/index.js';

function tabletsTable(): { engine: Engine; write: (id: number, tsMicros: number) => void } {
  const engine = new Engine(defaultEngineOptions({ tablets: true, initialTablets: 2 }));
  const session = { keyspace: null };
  const ddl = (q: string) => engine.execute(engine.parse(q), session, { values: [] });
  ddl("CREATE KEYSPACE ks WITH replication = {'class':'NetworkTopologyStrategy','replication_factor':1} AND tablets = {'initial': 2}");
  ddl("CREATE TABLE ks.g (id int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  const write = (id: number, tsMicros: number) => void bulkWrite(engine, { keyspace: 'ks', table: 'g', count: 1, row: () => ({ id, v: id }), timestampMicros: () => tsMicros });
  return { engine, write };
}

describe('tablet stream-set switch', () => {
  it('a split "now" starts after a write logged in the same millisecond', () => {
    const { engine, write } = tabletsTable();
    const nowMs = Date.now();
    write(1, nowMs * 1000 + 500); // logged in the old set, 0.5 ms into the split's millisecond
    const set = engine.tablets.split(engine.catalog.table('ks', 'g'), nowMs, 0);
    expect(set.ts).toBe(nowMs + 1);
  });

  it('a merge starts after the newest write logged, even one dated ahead of the clock', () => {
    const { engine, write } = tabletsTable();
    const nowMs = Date.now();
    write(1, (nowMs + 3) * 1000); // a client clock 3 ms ahead (accepted up to generation_leeway)
    write(2, nowMs * 1000);
    const set = engine.tablets.merge(engine.catalog.table('ks', 'g'), nowMs, 0);
    expect(set.ts).toBe(nowMs + 4);
  });

  it('keeps the requested start when no write is at or after it', () => {
    const { engine, write } = tabletsTable();
    const nowMs = Date.now();
    write(1, (nowMs - 10) * 1000);
    const table = engine.catalog.table('ks', 'g');
    expect(engine.tablets.split(table, nowMs, 0).ts).toBe(nowMs);
    expect(engine.tablets.split(table, nowMs, 1500).ts).toBe(nowMs + 1500);
  });
});
