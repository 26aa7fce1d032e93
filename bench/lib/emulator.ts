/**
 * Drives the in-process Scylla emulator (test/support/scylla-emulator) for the source and e2e
 * scenarios: DDL with CDC on, then the workload's changes through the engine's own INSERT / UPDATE /
 * DELETE path (same mutation + CDC-log path as a driver write, minus framing), each with a write
 * timestamp that is the wall clock at write time — the start of the latency measurement.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { Change, Workload } from '../workloads/types.js';
import { sleep } from './util.js';

type EmulatorModule = typeof import('../../test/support/scylla-emulator/index.js');
type Handle = Awaited<ReturnType<EmulatorModule['startEmulator']>>;

export interface EmulatorWriter {
  contactPoint: string;
  /** Writes the changes (at most `rate` per second when rate > 0); fills writeTimeMs[seq]. */
  write(changes: Change[], rate: number, writeTimeMs: Float64Array): Promise<{ seconds: number }>;
  close(): Promise<void>;
}

export async function startEmulatorWriter(w: Workload, keyspace: string): Promise<EmulatorWriter> {
  const mod: EmulatorModule = await import('../../test/support/scylla-emulator/index.js');
  const js: { encodeJs: (t: unknown, v: unknown) => Buffer | null } = await import('../../test/support/scylla-emulator/storage/js-values.js');
  const h: Handle = await mod.startEmulator({ port: 0 });
  const engine = h.engine;
  const session = { keyspace };
  const run = (q: string) => engine.execute(engine.parse(q), session, { values: [], timestamp: null });
  run(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  const pk = w.columns.filter((c) => c.kind === 'partition_key').map((c) => c.name);
  const ck = w.columns.filter((c) => c.kind === 'clustering').map((c) => c.name);
  const pkSpec = ck.length ? `(${pk.join(', ')}), ${ck.join(', ')}` : `(${pk.join(', ')})`;
  run(`CREATE TABLE ${keyspace}.${w.table} (${w.columns.map((c) => `${c.name} ${c.cql}`).join(', ')}, PRIMARY KEY (${pkSpec})) WITH cdc = {'enabled': true}`);
  const table = engine.catalog.table(keyspace, w.table);
  const keyCols = [...pk, ...ck];
  const cache = new Map<string, ReturnType<typeof engine.parse>>();
  const parsed = (sig: string, q: () => string) => {
    let p = cache.get(sig);
    if (!p) {
      p = engine.parse(q());
      cache.set(sig, p);
    }
    return p;
  };
  const enc = (col: string, v: unknown) => {
    const def = table.byName.get(col);
    if (!def) throw new Error(`unknown column ${col}`);
    return js.encodeJs(def.type, v);
  };

  function apply(ch: Change, tsUs: number): void {
    const where = keyCols.map((k) => `${k} = ?`).join(' AND ');
    if (ch.op === 'd') {
      const p = parsed('d', () => `DELETE FROM ${keyspace}.${w.table} WHERE ${where}`);
      engine.execute(p, session, { values: keyCols.map((k) => enc(k, ch.key[k])), timestamp: BigInt(tsUs) });
      return;
    }
    const cols = Object.keys(ch.cells ?? {});
    if (ch.op === 'c') {
      const all = [...keyCols, ...cols];
      const p = parsed(`c:${cols.join(',')}`, () => `INSERT INTO ${keyspace}.${w.table} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')})`);
      engine.execute(p, session, { values: all.map((c) => enc(c, c in ch.key ? ch.key[c] : ch.cells![c])), timestamp: BigInt(tsUs) });
      return;
    }
    const p = parsed(`u:${cols.join(',')}`, () => `UPDATE ${keyspace}.${w.table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE ${where}`);
    engine.execute(p, session, { values: [...cols.map((c) => enc(c, ch.cells![c])), ...keyCols.map((k) => enc(k, ch.key[k]))], timestamp: BigInt(tsUs) });
  }

  return {
    contactPoint: h.contactPoint,
    async write(changes, rate, writeTimeMs) {
      const t0 = performance.now();
      const start = Date.now();
      let lastUs = 0;
      const CHUNK = 500;
      for (let i = 0; i < changes.length; i += CHUNK) {
        if (rate > 0) {
          const due = start + (i / rate) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await sleep(wait);
        }
        for (const ch of changes.slice(i, i + CHUNK)) {
          const nowUs = Date.now() * 1000;
          const ts = Math.max(nowUs, lastUs + 1);
          lastUs = ts;
          apply(ch, ts);
          writeTimeMs[ch.seq] = ts / 1000;
        }
        await yieldLoop();
      }
      return { seconds: (performance.now() - t0) / 1000 };
    },
    close: () => h.close(),
  };
}
