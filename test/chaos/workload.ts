/**
 * The seeded workload of the chaos run, written through the real cassandra-driver to the emulator:
 * inserts, partial updates, row / partition / range deletes, TTL'd writes, collection adds and
 * removes, and an ALTER TABLE ADD column half-way. Every write that is not a delete sets `n`, the
 * row's change counter (1, 2, 3 … per key), so each change is identifiable downstream: the exactly-
 * once check looks for every (table, key, n) exactly once in Kafka, and PostgreSQL must end with the
 * same `n` as ScyllaDB.
 */
import cassandra from 'cassandra-driver';
import type { Rng } from './prng.js';

export const TABLES = ['users', 'events', 'items'] as const;
export type TableName = (typeof TABLES)[number];

export function schemaCql(ks: string): string[] {
  return [
    `CREATE KEYSPACE ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`,
    // Pre-images on: the source must group them with their delta into one event.
    `CREATE TABLE ${ks}.users (id int PRIMARY KEY, name text, email text, score bigint, tags set<text>, n int) WITH cdc = {'enabled': true, 'preimage': true}`,
    `CREATE TABLE ${ks}.events (pk int, ck int, v text, amount double, attrs map<text, int>, n int, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true}`,
    `CREATE TABLE ${ks}.items (id int PRIMARY KEY, v text, history list<int>, n int) WITH cdc = {'enabled': true, 'postimage': true}`,
    `CREATE TABLE ${ks}.markers (id int PRIMARY KEY, at timestamp) WITH cdc = {'enabled': true}`,
  ];
}

export interface WorkloadStats {
  writes: number;
  byKind: Record<string, number>;
  errors: number;
  /** Writes the emulator refused (injected faults): the workload retries them. */
  retried: number;
}

/** Per key: the next `n`. A key absent here has no live row (never written, or deleted). */
type Counters = Map<string, number>;

/**
 * Deletes carry no `n`, so each gets an identity (`row:<key>`, `partition:<pk>`, `range:<pk>:<lo>:<hi>`)
 * and a count of attempts: `sure` ones returned success, `maybe` ones failed with an unknown outcome
 * (injected faults). Kafka must hold between `sure` and `sure + maybe` delete events per identity.
 */
export type DeleteCounts = Map<string, { sure: number; maybe: number }>;

export class Workload {
  readonly stats: WorkloadStats = { writes: 0, byKind: {}, errors: 0, retried: 0 };
  private readonly counters: Record<TableName, Counters> = { users: new Map(), events: new Map(), items: new Map() };
  private readonly nextN: Record<TableName, Map<string, number>> = { users: new Map(), events: new Map(), items: new Map() };
  private readonly deletes: Record<TableName, DeleteCounts> = { users: new Map(), events: new Map(), items: new Map() };
  /** Changes written more than once because an attempt's outcome was unknown: `key#n` → attempts. */
  private readonly rewritten: Record<TableName, DeleteCounts> = { users: new Map(), events: new Map(), items: new Map() };
  private altered = false;

  constructor(
    private readonly client: cassandra.Client,
    private readonly ks: string,
    private readonly rng: Rng,
  ) {}

  /** `n` never restarts for a key, even after a delete: (key, n) stays unique across the run. */
  private bump(table: TableName, key: string): number {
    const n = (this.nextN[table].get(key) ?? 0) + 1;
    this.nextN[table].set(key, n);
    this.counters[table].set(key, n);
    return n;
  }

  /**
   * Runs one write. An injected fault or a dropped connection leaves its outcome unknown: before
   * retrying, `applied` reads the row back, so a write that did land is not written twice (a second
   * copy would be a second, legitimate change in the CDC log with the same `n`).
   */
  private async exec(kind: string, cql: string, params: unknown[], applied?: () => Promise<boolean>, del?: { table: TableName; id: string }): Promise<void> {
    const counts = del ? (this.deletes[del.table].get(del.id) ?? { sure: 0, maybe: 0 }) : undefined;
    if (del && counts) this.deletes[del.table].set(del.id, counts);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.execute(cql, params, { prepare: true });
        if (counts) counts.sure++;
        break;
      } catch (err) {
        if (counts) counts.maybe++;
        if (attempt >= 30) {
          this.stats.errors++;
          throw err;
        }
        this.stats.retried++;
        await new Promise((r) => setTimeout(r, 100 * Math.min(attempt + 1, 10)));
        if (applied && (await applied().catch(() => false))) break;
      }
    }
    this.stats.writes++;
    this.stats.byKind[kind] = (this.stats.byKind[kind] ?? 0) + 1;
  }

  private absent(table: TableName, where: string, params: unknown[]): () => Promise<boolean> {
    return async () => (await this.client.execute(`SELECT n FROM ${this.ks}.${table} WHERE ${where}`, params, { prepare: true })).rowLength === 0;
  }

  /**
   * Whether the row holds `n` now. Asked only after an attempt failed; the attempt may have landed
   * anyway, and if this read fails too the write is retried: the change can then be in the log
   * twice, legitimately. Such changes are remembered with their attempts (changesRewritten).
   */
  private hasN(table: TableName, where: string, params: unknown[], n: number): () => Promise<boolean> {
    const id = `${params.map(String).join(':')}#${n}`;
    return async () => {
      const c = this.rewritten[table].get(id) ?? { sure: 1, maybe: 0 };
      c.maybe++;
      this.rewritten[table].set(id, c);
      return (await this.client.execute(`SELECT n FROM ${this.ks}.${table} WHERE ${where}`, params, { prepare: true })).first()?.get('n') === n;
    };
  }

  async alterAddColumn(): Promise<void> {
    if (this.altered) return;
    await this.client.execute(`ALTER TABLE ${this.ks}.users ADD nickname text`);
    this.altered = true;
    this.stats.byKind['alter-add-column'] = 1;
  }

  async marker(id: number): Promise<void> {
    await this.exec('marker', `INSERT INTO ${this.ks}.markers (id, at) VALUES (?, ?)`, [id, new Date()]);
  }

  /** One random change. */
  async step(): Promise<void> {
    const r = this.rng;
    const table = r.pick(TABLES);
    if (table === 'users') {
      const id = r.int(0, 300);
      const key = String(id);
      const exists = this.counters.users.has(key);
      const dice = r.next();
      if (!exists || dice < 0.35) {
        const n = this.bump('users', key);
        await this.exec(
          'insert',
          `INSERT INTO ${this.ks}.users (id, name, email, score, tags, n) VALUES (?, ?, ?, ?, ?, ?)`,
          [id, `user ${id}`, `u${id}@x.io`, r.int(0, 1e6), ['a', `t${r.int(0, 5)}`], n],
          this.hasN('users', 'id = ?', [id], n),
        );
      } else if (dice < 0.6) {
        const n = this.bump('users', key);
        const extra = this.altered && r.chance(0.5) ? ', nickname = ?' : '';
        const params: unknown[] = [`e${r.int(0, 1e6)}@x.io`, n];
        if (extra) params.push(`nick${r.int(0, 100)}`);
        params.push(id);
        await this.exec('partial-update', `UPDATE ${this.ks}.users SET email = ?, n = ?${extra} WHERE id = ?`, params, this.hasN('users', 'id = ?', [id], n));
      } else if (dice < 0.75) {
        const n = this.bump('users', key);
        const add = r.chance(0.5);
        await this.exec(
          add ? 'set-add' : 'set-remove',
          `UPDATE ${this.ks}.users SET tags = tags ${add ? '+' : '-'} ?, n = ? WHERE id = ?`,
          [[`t${r.int(0, 5)}`], n, id],
          this.hasN('users', 'id = ?', [id], n),
        );
      } else if (dice < 0.85) {
        const n = this.bump('users', key);
        await this.exec('set-null', `UPDATE ${this.ks}.users SET name = null, n = ? WHERE id = ?`, [n, id], this.hasN('users', 'id = ?', [id], n));
      } else {
        this.counters.users.delete(key);
        await this.exec('row-delete', `DELETE FROM ${this.ks}.users WHERE id = ?`, [id], this.absent('users', 'id = ?', [id]), { table: 'users', id: `row:${key}` });
      }
      return;
    }
    if (table === 'events') {
      const pk = r.int(0, 40);
      const ck = r.int(0, 20);
      const dice = r.next();
      if (dice < 0.55) {
        const n = this.bump('events', `${pk}:${ck}`);
        await this.exec(
          'insert',
          `INSERT INTO ${this.ks}.events (pk, ck, v, amount, attrs, n) VALUES (?, ?, ?, ?, ?, ?)`,
          [pk, ck, `v${r.int(0, 1000)}`, r.next() * 1000, { a: r.int(0, 9) }, n],
          this.hasN('events', 'pk = ? AND ck = ?', [pk, ck], n),
        );
      } else if (dice < 0.75) {
        if (!this.counters.events.has(`${pk}:${ck}`)) return;
        const n = this.bump('events', `${pk}:${ck}`);
        await this.exec(
          'map-put',
          `UPDATE ${this.ks}.events SET attrs[?] = ?, n = ? WHERE pk = ? AND ck = ?`,
          [`k${r.int(0, 4)}`, r.int(0, 100), n, pk, ck],
          this.hasN('events', 'pk = ? AND ck = ?', [pk, ck], n),
        );
      } else if (dice < 0.85) {
        for (const k of [...this.counters.events.keys()]) if (k === `${pk}:${ck}`) this.counters.events.delete(k);
        await this.exec('row-delete', `DELETE FROM ${this.ks}.events WHERE pk = ? AND ck = ?`, [pk, ck], this.absent('events', 'pk = ? AND ck = ?', [pk, ck]), {
          table: 'events',
          id: `row:${pk}:${ck}`,
        });
      } else if (dice < 0.93) {
        const lo = r.int(0, 15);
        const hi = lo + r.int(1, 6);
        for (const k of [...this.counters.events.keys()]) {
          const [p, c] = k.split(':').map(Number);
          if (p === pk && c! >= lo && c! < hi) this.counters.events.delete(k);
        }
        await this.exec('range-delete', `DELETE FROM ${this.ks}.events WHERE pk = ? AND ck >= ? AND ck < ?`, [pk, lo, hi], undefined, {
          table: 'events',
          id: `range:${pk}:${lo}:${hi}`,
        });
      } else {
        for (const k of [...this.counters.events.keys()]) if (k.startsWith(`${pk}:`)) this.counters.events.delete(k);
        await this.exec('partition-delete', `DELETE FROM ${this.ks}.events WHERE pk = ?`, [pk], undefined, { table: 'events', id: `partition:${pk}` });
      }
      return;
    }
    const id = r.int(0, 200);
    const key = String(id);
    const dice = r.next();
    if (!this.counters.items.has(key) || dice < 0.4) {
      const n = this.bump('items', key);
      // TTLs far beyond the run: expiry is not logged by CDC (ScyllaDB docs/features/cdc/cdc-basic-operations.rst: "TTL expirations are not operations");
      // the sink replays it on a schedule, so a row expiring mid-run could differ until the next purge. Expiry has its own tests (cell-ttl-to-postgres).
      await this.exec(
        'insert-ttl',
        `INSERT INTO ${this.ks}.items (id, v, history, n) VALUES (?, ?, ?, ?) USING TTL 86400`,
        [id, `v${r.int(0, 100)}`, [r.int(0, 9)], n],
        this.hasN('items', 'id = ?', [id], n),
      );
    } else if (dice < 0.8) {
      const n = this.bump('items', key);
      await this.exec('list-append', `UPDATE ${this.ks}.items SET history = history + ?, n = ? WHERE id = ?`, [[r.int(0, 9)], n, id], this.hasN('items', 'id = ?', [id], n));
    } else {
      this.counters.items.delete(key);
      await this.exec('row-delete', `DELETE FROM ${this.ks}.items WHERE id = ?`, [id], this.absent('items', 'id = ?', [id]), { table: 'items', id: `row:${key}` });
    }
  }

  /** Changes that may be in the log more than once (an attempt with an unknown outcome was retried): at most 1 + maybe copies. */
  changesRewritten(): Map<TableName, DeleteCounts> {
    return new Map(TABLES.map((t) => [t, new Map([...this.rewritten[t]].map(([k, v]) => [k, { ...v }]))]));
  }

  /** Every delete issued, by identity, with its sure and unknown-outcome attempts. */
  deletesIssued(): Map<TableName, DeleteCounts> {
    return new Map(TABLES.map((t) => [t, new Map([...this.deletes[t]].map(([k, v]) => [k, { ...v }]))]));
  }

  /** The model: each live key and its `n`, as this workload believes ScyllaDB holds them. */
  liveKeys(): Map<TableName, Map<string, number>> {
    return new Map(TABLES.map((t) => [t, new Map(this.counters[t])]));
  }

  /** Every (table, key, n) written: the changes that must each reach Kafka exactly once. */
  changesWritten(): Map<TableName, Map<string, number>> {
    return new Map(TABLES.map((t) => [t, new Map(this.nextN[t])]));
  }
}
