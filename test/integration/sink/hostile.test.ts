/**
 * Hostile input on the real stack: records a broken or malicious producer can put on a subscribed
 * topic, interleaved with good ones on the same partitions. Every good record must apply exactly,
 * every hostile one must be dead-lettered with its reason (or, for a 70-byte column name, applied
 * under the documented shortened name), the sink must stay alive and healthy, its offsets table must
 * hold only its own group, and the stored offsets must reach the end of every partition.
 *
 * Phase 1 puts every kind in a backlog before the sink starts. Phase 2 produces each kind live,
 * followed by a good sentinel on the same partition, and measures how long the sink takes to move
 * past it (printed; not asserted, the box is shared).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DLQ_HEADER } from '../../../src/sink/core/dlq-headers.js';
import { pgName } from '../../../src/core/sql-ident.js';
import { keyOnlyRecords } from '../../../src/metrics/sink-metrics.js';
import { avroType, envelope, frame, keyObject, keySchema, valueSchema, type ChangeSpec, type TableSpec } from '../../fixtures/sink/envelope.js';
import { blockCountBomb, bombSchemas, framed, varint } from '../../fixtures/sink/hostile.js';
import { PG_URL, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { closeProducer, createTopic, kafka, pgPool, produce, query, randomName, register, startSink, storedOffset, waitFor } from './sink-harness.js';

const run = randomName('h').replace(/[^a-z0-9_]/gi, '_');
const schema = randomName('sink_hostile');
const group = randomName('g');
const dlqTopic = randomName('dlq');
const prefix = `hostile.${run}`;
const topicOf = (table: string) => `${prefix}.${table}`;
const MAX_RECORD = 64 * 1024;
const PARTITIONS = 3;
const LONG_COLUMN = `c${'x'.repeat(69)}`; // 70 bytes

type Msg = { key: Buffer | null; value: Buffer | null; partition: number };
interface Kind {
  name: string;
  topic: string;
  msg: Msg;
  /** DLQ reason, or 'applied' / 'skipped' (no dead letter). */
  expect: string;
}

interface Fixture {
  spec: TableSpec;
  keyId: number;
  valueId: number;
  encode(c: ChangeSpec, partition: number): Msg;
}

async function fixture(topic: string, spec: TableSpec, subject = topic): Promise<Fixture> {
  const ks = keySchema(spec);
  const vs = valueSchema(spec);
  const keyId = await register(`${subject}-key`, ks);
  const valueId = await register(`${subject}-value`, vs);
  const kt = avroType(ks);
  const vt = avroType(vs);
  return { spec, keyId, valueId, encode: (c, partition) => ({ key: frame(keyId, kt, keyObject(spec, c.key)), value: frame(valueId, vt, envelope(spec, c)), partition }) };
}

const items: TableSpec = {
  keyspace: 'ks',
  table: 'items',
  key: [{ name: 'id', type: 'int' }],
  columns: [
    { name: 'v', type: 'string' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
  ],
};
const skeys: TableSpec = { keyspace: 'ks', table: 'skeys', key: [{ name: 'k', type: 'string' }], columns: [{ name: 'v', type: 'string' }] };

/**
 * array<array<null>>: every inner count fits in the bytes left (so the block-count check passes), but
 * null elements take no bytes: 90 million elements from 52 KB. Only the decode time limit and the
 * worker heap limit stop it.
 */
function nullArrayBomb(): Buffer {
  const big = 3000;
  const filler = 40_000; // empty inner arrays: one byte each, they keep the bytes-left bound high
  const parts: Buffer[] = [varint(big + filler)];
  for (let i = 0; i < big; i++) parts.push(varint(30_000), varint(0));
  for (let i = 0; i < filler; i++) parts.push(varint(0));
  parts.push(varint(0));
  return Buffer.concat(parts);
}

async function readDlq(expected: number): Promise<Map<string, Record<string, string>>> {
  const consumer = kafka.consumer({ groupId: randomName('dlqreader') });
  const out = new Map<string, Record<string, string>>();
  await consumer.connect();
  await consumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) h[k] = String(v);
      out.set(`${h[DLQ_HEADER.topic]}/${h[DLQ_HEADER.partition]}@${h[DLQ_HEADER.offset]}`, h);
    },
  });
  try {
    await waitFor(`${expected} dead letters`, async () => out.size >= expected, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // any extra (unexpected) dead letter shows up too
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function readTopicToEndCount(topic: string): Promise<number> {
  let n = 0n;
  for (const o of (await endOffsets(topic)).values()) n += o;
  return Number(n);
}

async function endOffsets(topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

describe('hostile input', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('dead-letters every hostile record, applies every good one, and stays healthy', async () => {
    const topics = { items: topicOf('items'), skeys: topicOf('skeys'), offsets: topicOf('_cdc_offsets'), unknown: topicOf('nosuchtable') };
    for (const t of Object.values(topics)) await createTopic(t, PARTITIONS);
    await createTopic(dlqTopic, 1);

    const good = await fixture(topics.items, items);
    const str = await fixture(topics.skeys, skeys);
    const sub = (n: string) => `${topics.items}-${n}`;
    const arrayBombId = await register(sub('arraybomb'), bombSchemas.array);
    const mapBombId = await register(sub('mapbomb'), bombSchemas.map);
    const nullBombId = await register(sub('nullbomb'), {
      type: 'record',
      name: 'NullBomb',
      fields: [{ name: 'a', type: { type: 'array', items: { type: 'array', items: 'null' } } }],
    });
    const offsetsSpec: TableSpec = {
      keyspace: 'ks',
      table: '_cdc_offsets',
      key: [
        { name: 'group_id', type: 'string' },
        { name: 'topic', type: 'string' },
        { name: 'partition', type: 'int' },
      ],
      columns: [
        { name: 'next_offset', type: 'long' },
        { name: 'generation', type: 'long' },
      ],
    };
    const aimedAtOffsets = await fixture(topics.items, offsetsSpec, sub('offsets'));
    const offsetsTopic = await fixture(topics.offsets, offsetsSpec);
    const tombs = await fixture(
      topics.items,
      { keyspace: 'ks', table: '_cdc_tombstones_items', key: [{ name: 'id', type: 'int' }], columns: [{ name: 'ts', type: 'long' }] },
      sub('tombs'),
    );
    const runs = await fixture(
      topics.items,
      {
        keyspace: 'ks',
        table: '_cdc_reconcile_runs',
        key: [{ name: 'id', type: 'long' }],
        columns: [
          { name: 'table_name', type: 'string' },
          { name: 'accuracy', type: 'double' },
        ],
      },
      sub('runs'),
    );
    const longCol = await fixture(topics.items, { ...items, columns: [...items.columns, { name: LONG_COLUMN, type: 'string' }] }, sub('longcol'));
    const bookkeeping = await Promise.all(
      ['_cdc_ts_us', '_cdc_cts', '_cdc_lk_v'].map(async (name) => ({
        name,
        fx: await fixture(topics.items, { ...items, columns: [...items.columns, { name, type: name === '_cdc_cts' ? 'string' : 'long' }] }, sub(name)),
      })),
    );
    const badDecimal = await fixture(
      topics.items,
      { ...items, columns: [...items.columns, { name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 'NaN' } }] },
      sub('decimal'),
    );
    // Registered under another subject than the topic's: the warm-up at assignment (table-warm-up.ts)
    // would make the table from `<topic>-value`; what is checked here is that key-only records do not.
    const unknown = await fixture(topics.unknown, { ...items, table: 'nosuchtable' }, `${topics.unknown}-elsewhere`);

    const ts = 1_700_000_000_000_000;
    let nextId = 1;
    const expectedItems = new Map<number, string>();
    const goodItem = (partition: number): Msg => {
      const id = nextId++;
      expectedItems.set(id, `v${id}`);
      return good.encode({ op: 'c', key: { id }, after: { v: { value: `v${id}` }, at: { value: ts + id } }, tsUs: ts + id }, partition);
    };
    const expectedSkeys = new Map<string, string>();
    const goodSkey = (partition: number): Msg => {
      const k = `k${nextId++}`;
      expectedSkeys.set(k, k);
      return str.encode({ op: 'c', key: { k }, after: { v: { value: k } }, tsUs: ts + nextId }, partition);
    };
    const bad = (partition: number, after: Record<string, unknown>, fx = good): Msg => fx.encode({ op: 'c', key: { id: 900_000 + nextId++ }, after, tsUs: ts }, partition);
    const expectedLong = new Map<number, string>();

    /** One record of each hostile kind (fresh ids/keys on every call). */
    const hostileKinds = (): Kind[] => {
      const trunc = bad(0, { v: { value: 'truncated' } });
      const hostileKey = () => bad(0, {}).key;
      const invalidUtf8 = bad(1, { v: { value: 'QQQQ' } });
      const at = invalidUtf8.value!.indexOf('QQQQ');
      invalidUtf8.value!.set([0x61, 0xff, 0xfe, 0x62], at);
      const longId = nextId++;
      expectedLong.set(longId, `long${longId}`);
      const offsetsRow = (g: string) => ({
        op: 'c' as const,
        key: { group_id: g, topic: topics.items, partition: 2 },
        after: { next_offset: { value: 1_000_000 }, generation: { value: 999 } },
        tsUs: ts,
      });
      return [
        { name: 'truncated body', topic: topics.items, expect: 'undecodable', msg: { ...trunc, value: trunc.value!.subarray(0, trunc.value!.length - 7) } },
        { name: 'array block-count bomb', topic: topics.items, expect: 'undecodable', msg: { key: hostileKey(), value: framed(arrayBombId, blockCountBomb()), partition: 1 } },
        { name: 'map block-count bomb', topic: topics.items, expect: 'undecodable', msg: { key: hostileKey(), value: framed(mapBombId, blockCountBomb()), partition: 2 } },
        { name: 'nested null-array bomb', topic: topics.items, expect: 'decode-failed', msg: { key: hostileKey(), value: framed(nullBombId, nullArrayBomb()), partition: 0 } },
        { name: 'record above SINK_MAX_RECORD_BYTES', topic: topics.items, expect: 'too-large', msg: { ...bad(1, { v: { value: 'x'.repeat(MAX_RECORD + 100) } }) } },
        { name: '_cdc_offsets as source.table_name', topic: topics.items, expect: 'wrong-target', msg: aimedAtOffsets.encode(offsetsRow(group), 2) },
        { name: '_cdc_offsets as source.table_name (foreign group)', topic: topics.items, expect: 'wrong-target', msg: aimedAtOffsets.encode(offsetsRow('someone-else'), 0) },
        { name: 'topic mapping to _cdc_offsets', topic: topics.offsets, expect: 'wrong-target', msg: offsetsTopic.encode(offsetsRow(group), 1) },
        {
          name: 'tombstones table as source.table_name',
          topic: topics.items,
          expect: 'wrong-target',
          msg: tombs.encode({ op: 'c', key: { id: 1 }, after: { ts: { value: 2 ** 52 } }, tsUs: ts }, 1),
        },
        {
          name: 'reconcile runs as source.table_name',
          topic: topics.items,
          expect: 'wrong-target',
          msg: runs.encode({ op: 'c', key: { id: 1 }, after: { table_name: { value: 'items' }, accuracy: { value: 100 } }, tsUs: ts }, 2),
        },
        ...bookkeeping.map(({ name, fx }) => ({
          name: `${name} as a user column`,
          topic: topics.items,
          expect: 'wrong-target',
          msg: bad(0, { [name]: { value: name === '_cdc_cts' ? '{}' : 2 ** 52 } }, fx),
        })),
        {
          name: '70-byte column name',
          topic: topics.items,
          expect: 'applied',
          msg: longCol.encode({ op: 'c', key: { id: longId }, after: { v: { value: `v${longId}` }, [LONG_COLUMN]: { value: `long${longId}` } }, tsUs: ts + longId }, 1),
        },
        { name: 'nonsense decimal scale', topic: topics.items, expect: 'unsupported', msg: bad(2, { d: { value: Buffer.from([1]) } }, badDecimal) },
        {
          name: 'key too large for a B-tree index',
          topic: topics.skeys,
          expect: 'too-large',
          msg: str.encode({ op: 'c', key: { k: randomBytes(12_000).toString('base64') }, after: { v: { value: 'big' } }, tsUs: ts }, 0),
        },
        { name: "timestamp outside PostgreSQL's range", topic: topics.items, expect: 'type-violation', msg: bad(0, { at: { value: -9_000_000_000_000_000_000n } }) },
        { name: 'text with NUL', topic: topics.items, expect: 'type-violation', msg: bad(1, { v: { value: 'a\u0000b' } }) },
        { name: 'invalid UTF-8', topic: topics.items, expect: 'undecodable', msg: invalidUtf8 },
        {
          name: 'key-only record for an unknown table',
          topic: topics.unknown,
          expect: 'skipped',
          msg: { key: unknown.encode({ op: 'c', key: { id: 1 }, tsUs: ts }, 0).key, value: null, partition: 0 },
        },
      ];
    };

    // Offsets of every produced record, to tie dead letters to kinds.
    const expectedDead = new Map<string, string>(); // topic/partition@offset → reason
    const next = new Map<string, bigint>();
    const send = async (topic: string, msgs: Msg[]): Promise<string[]> => {
      await produce(topic, msgs);
      return msgs.map((m) => {
        const k = `${topic}/${m.partition}`;
        const o = next.get(k) ?? 0n;
        next.set(k, o + 1n);
        return `${k}@${o}`;
      });
    };
    const sendKind = async (k: Kind, withGood: boolean): Promise<number | string | undefined> => {
      // the good neighbours on the same partition: before and after
      const sentinel = k.topic === topics.skeys ? goodSkey(k.msg.partition) : k.topic === topics.items ? goodItem(k.msg.partition) : undefined;
      const before = withGood && k.topic === topics.items ? [goodItem(k.msg.partition)] : [];
      const [ref] = (await send(k.topic, [...before, k.msg])).slice(before.length);
      if (k.expect !== 'applied' && k.expect !== 'skipped') expectedDead.set(ref!, k.expect);
      if (sentinel) await send(k.topic, [sentinel]);
      if (!sentinel) return undefined;
      return k.topic === topics.skeys ? `k${nextId - 1}` : nextId - 1;
    };

    // Phase 1: a backlog with every kind, interleaved with good records on the same partitions.
    for (const k of hostileKinds()) await sendKind(k, true);
    const keyOnlyBefore = (await keyOnlyRecords.get()).values[0]?.value ?? 0;

    const rss = { peak: process.memoryUsage().rss, base: process.memoryUsage().rss };
    const health: boolean[] = [];
    const sink = startSink({
      SINK_TOPICS: `^${prefix.replace(/\./g, '\\.')}\\..+`,
      KAFKA_TOPIC_TEMPLATE: `${prefix}.{table}`,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      DLQ_TOPIC: dlqTopic,
      SINK_MAX_RECORD_BYTES: String(MAX_RECORD),
      SINK_DECODE_TIMEOUT_MS: '5000',
      SINK_WORKER_HEAP_MB: '96',
      SINK_WORKERS: '2',
    });
    await sink.started;
    const sampler = setInterval(() => {
      rss.peak = Math.max(rss.peak, process.memoryUsage().rss);
      health.push(sink.proc.sink.healthy());
    }, 100);
    const timings: { kind: string; ms: number }[] = [];
    try {
      const t0 = Date.now();
      const itemsTable = `"${schema}"."items"`;
      await waitFor(
        'the backlog applied',
        async () => {
          const n = (await query<{ n: string }>(`SELECT count(*) AS n FROM ${itemsTable} WHERE id < 900000`).catch(() => [{ n: '0' }]))[0]!.n;
          return Number(n) >= expectedItems.size + expectedLong.size ? true : undefined;
        },
        Number(process.env.HOSTILE_BACKLOG_MS ?? 120_000),
      );
      timings.push({ kind: '(phase 1) whole mixed backlog', ms: Date.now() - t0 });

      // Phase 2: each kind live, timed until the good record behind it on its partition is applied.
      for (const k of hostileKinds()) {
        const started = Date.now();
        const sentinel = await sendKind(k, false);
        if (sentinel === undefined) {
          await waitFor(
            `${k.name}: offsets past it`,
            async () => (await storedOffset(schema, group, k.topic, k.msg.partition)) === next.get(`${k.topic}/${k.msg.partition}`),
            60_000,
          );
        } else if (typeof sentinel === 'number') {
          await waitFor(`${k.name}: the next good record`, async () => (await query(`SELECT 1 FROM ${itemsTable} WHERE id = $1`, [sentinel])).length === 1, 60_000);
        } else {
          await waitFor(`${k.name}: the next good record`, async () => (await query(`SELECT 1 FROM "${schema}"."skeys" WHERE k = $1`, [sentinel])).length === 1, 60_000);
        }
        timings.push({ kind: k.name, ms: Date.now() - started });
      }

      // Stored offsets at the end of every partition of every topic.
      for (const t of Object.values(topics)) {
        const ends = await endOffsets(t);
        await waitFor(
          `offsets of ${t} at the end`,
          async () => {
            // a partition never written to (end 0) may have no stored row
            for (const [p, end] of ends) if (((await storedOffset(schema, group, t, p)) ?? 0n) !== end) return undefined;
            return true;
          },
          60_000,
        );
      }

      // Every good record applied exactly.
      const rows = await query<{ id: number; v: string; at: Date | null; long: string | null }>(
        `SELECT id, v, at, "${pgName(LONG_COLUMN)}" AS long FROM ${itemsTable} ORDER BY id`,
      );
      expect(rows.filter((r) => !expectedLong.has(r.id)).map((r) => [r.id, r.v])).toEqual([...expectedItems].sort((a, b) => a[0] - b[0]));
      expect(rows.filter((r) => expectedLong.has(r.id)).map((r) => [r.id, r.long])).toEqual([...expectedLong].sort((a, b) => a[0] - b[0]));
      expect(rows.every((r) => r.id < 900_000)).toBe(true);
      const srows = await query<{ k: string; v: string }>(`SELECT k, v FROM "${schema}"."skeys" ORDER BY k`);
      expect(srows.map((r) => [r.k, r.v])).toEqual([...expectedSkeys].sort((a, b) => (a[0] < b[0] ? -1 : 1)));

      // Every hostile record dead-lettered with its reason; nothing else.
      const dead = await readDlq(expectedDead.size);
      const got = new Map([...dead].map(([k, h]) => [k, h[DLQ_HEADER.reason]]));
      expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...expectedDead].sort()));
      for (const h of dead.values()) expect(h[DLQ_HEADER.message]).toBeTruthy();

      // The sink's own tables untouched by records.
      expect((await query<{ group_id: string }>(`SELECT DISTINCT group_id FROM "${schema}"._cdc_offsets`)).map((r) => r.group_id)).toEqual([group]);
      const offCols = (
        await query<{ attname: string }>(`SELECT attname FROM pg_attribute WHERE attrelid = '"${schema}"._cdc_offsets'::regclass AND attnum > 0 AND NOT attisdropped`)
      ).map((r) => r.attname);
      expect(offCols).not.toContain('_cdc_ts_us');
      const tables = (
        await query<{ relname: string }>(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`, [
          schema,
        ])
      ).map((r) => r.relname);
      expect(tables.filter((t) => !t.startsWith('_cdc_'))).toEqual(['items', 'skeys']);
      expect(tables).not.toContain('_cdc_tombstones__cdc_offsets');
      expect(((await keyOnlyRecords.get()).values[0]?.value ?? 0) - keyOnlyBefore).toBe(2);

      // Alive and healthy throughout, memory bounded.
      expect(sink.proc.sink.healthy()).toBe(true);
      const firstHealthy = health.indexOf(true);
      expect(firstHealthy).toBeGreaterThanOrEqual(0);
      expect(health.slice(firstHealthy).every(Boolean)).toBe(true);
      expect(rss.peak - rss.base).toBeLessThan(768 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
      console.log(
        `hostile input: time to move past each kind (ms), peak RSS ${Math.round(rss.peak / 2 ** 20)} MiB (base ${Math.round(rss.base / 2 ** 20)} MiB)\n${timings.map((t) => `  ${String(t.ms).padStart(6)}  ${t.kind}`).join('\n')}`,
      );
      await sink.proc.stop();
    }
  }, 600_000);

  it('a batch failing with an unclassified error is applied row by row after bounded retries; other tables go on', async () => {
    const trig = await fixture(topicOf('trig'), { ...items, table: 'trig' });
    const plain = await fixture(topicOf('plain'), { ...items, table: 'plain' });
    for (const t of ['trig', 'plain']) await createTopic(topicOf(t), 1);
    const dlq = randomName('dlq');
    await createTopic(dlq, 1);
    // A user trigger raising its own SQLSTATE (P0001) for one row: not a class the sink knows.
    await pgPool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pgPool.query(`CREATE TABLE "${schema}".trig (id integer PRIMARY KEY, v text, "at" timestamptz)`);
    await pgPool.query(
      `CREATE FUNCTION "${schema}".boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.v = 'boom' THEN RAISE EXCEPTION 'no boom here'; END IF; RETURN NEW; END $$`,
    );
    await pgPool.query(`CREATE TRIGGER boom BEFORE INSERT OR UPDATE ON "${schema}".trig FOR EACH ROW EXECUTE FUNCTION "${schema}".boom()`);
    const row = (fx: Fixture, id: number, v: string) => fx.encode({ op: 'c', key: { id }, after: { v: { value: v } }, tsUs: 1_700_000_000_000_000 + id }, 0);
    await produce(topicOf('trig'), [row(trig, 1, 'a'), row(trig, 2, 'boom'), row(trig, 3, 'c')]);
    await produce(topicOf('plain'), [row(plain, 1, 'p')]);
    const g = randomName('g');
    const sink = startSink({
      SINK_TOPICS: `^${prefix.replace(/\./g, '\\.')}\\.(trig|plain)$`,
      KAFKA_TOPIC_TEMPLATE: `${prefix}.{table}`,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: g,
      DLQ_TOPIC: dlq,
      SINK_RETRY_MAX_MS: '500',
    });
    await sink.started;
    try {
      await waitFor('the other table', async () => (await query(`SELECT 1 FROM "${schema}".plain WHERE id = 1`).catch(() => [])).length === 1, 60_000);
      await waitFor('trig past its bad row', async () => (await storedOffset(schema, g, topicOf('trig'))) === 3n, 60_000);
      expect((await query<{ id: number }>(`SELECT id FROM "${schema}".trig ORDER BY id`)).map((r) => r.id)).toEqual([1, 3]);
      const consumer = kafka.consumer({ groupId: randomName('dlqreader') });
      const dead: Record<string, string>[] = [];
      await consumer.connect();
      await consumer.subscribe({ topics: [dlq], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void dead.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))) });
      await waitFor('the dead letter', async () => dead.length >= 1);
      await consumer.disconnect();
      expect(dead.map((h) => [h[DLQ_HEADER.offset], h[DLQ_HEADER.reason], h[DLQ_HEADER.exceptionClass]])).toEqual([['1', 'schema-rejected', 'PostgreSQL P0001']]);
      expect(sink.proc.sink.healthy()).toBe(true);
    } finally {
      await sink.proc.stop();
    }
  }, 120_000);

  it('exits 2 naming PG_URL when PostgreSQL refuses the database or the privileges', async () => {
    const role = randomName('nopriv').replace(/[^a-z0-9_]/gi, '_');
    await pgPool.query(`CREATE ROLE "${role}" LOGIN`);
    try {
      const base = new URL(PG_URL);
      const noDb = new URL(base.href);
      noDb.pathname = `/${randomName('nodb').replace(/[^a-z0-9_]/gi, '_')}`;
      const noPriv = new URL(base.href);
      noPriv.username = role;
      for (const [url, code] of [
        [noDb.href, '3D000'],
        [noPriv.href, '42501'],
      ] as const) {
        const sink = startSink({ SINK_TOPICS: `^${prefix}-none`, PG_SCHEMA: randomName('nopriv_schema'), SINK_GROUP_ID: group, DLQ_TOPIC: dlqTopic, PG_URL: url });
        try {
          const err = (await sink.started.then(
            () => undefined,
            (e: unknown) => e,
          )) as { code?: string; exitCode?: number; message?: string } | undefined;
          expect([err?.code, err?.exitCode]).toEqual(['CDC_CONFIG', 2]);
          expect(err?.message).toContain(`(SQLSTATE ${code}): check PG_URL`);
        } finally {
          await sink.proc.stop();
        }
      }
    } finally {
      await pgPool.query(`DROP ROLE IF EXISTS "${role}"`);
    }
  }, 60_000);

  it('a running sink that loses its privileges stops and reports the setting (exit 2), nothing dead-lettered', async () => {
    const role = randomName('lose').replace(/[^a-z0-9_]/gi, '_');
    const own = randomName('sink_lose');
    const dbName = new URL(PG_URL).pathname.slice(1);
    await pgPool.query(`CREATE ROLE "${role}" LOGIN`);
    await pgPool.query(`GRANT CREATE ON DATABASE "${dbName}" TO "${role}"`);
    const fx = await fixture(topicOf('lose'), { ...items, table: 'lose' });
    await createTopic(topicOf('lose'), 1);
    const dlq = randomName('dlq');
    await createTopic(dlq, 1);
    const url = new URL(PG_URL);
    url.username = role;
    const sink = startSink({
      SINK_TOPICS: topicOf('lose'),
      KAFKA_TOPIC_TEMPLATE: `${prefix}.{table}`,
      PG_SCHEMA: own,
      SINK_GROUP_ID: randomName('g'),
      DLQ_TOPIC: dlq,
      PG_URL: url.href,
    });
    try {
      await sink.started;
      const row = (id: number) => fx.encode({ op: 'c', key: { id }, after: { v: { value: `v${id}` } }, tsUs: 1_700_000_000_000_000 + id }, 0);
      await produce(topicOf('lose'), [row(1)]);
      await waitFor('the first row', async () => (await query(`SELECT 1 FROM "${own}".lose`).catch(() => [])).length === 1, 60_000);
      await pgPool.query(`ALTER TABLE "${own}".lose OWNER TO CURRENT_USER`);
      await produce(topicOf('lose'), [row(2)]);
      const err = (await Promise.race([sink.proc.sink.failed, new Promise((r) => setTimeout(r, 60_000))])) as { exitCode?: number; message?: string } | undefined;
      expect(err?.exitCode).toBe(2);
      expect(err?.message).toContain('(SQLSTATE 42501): check PG_URL');
      expect(sink.proc.sink.healthy()).toBe(false);
      expect(await readTopicToEndCount(dlq)).toBe(0);
    } finally {
      await sink.proc.stop();
      await pgPool.query(`DROP SCHEMA IF EXISTS "${own}" CASCADE`);
      await pgPool.query(`REVOKE CREATE ON DATABASE "${dbName}" FROM "${role}"`);
      await pgPool.query(`DROP OWNED BY "${role}"`);
      await pgPool.query(`DROP ROLE IF EXISTS "${role}"`);
    }
  }, 120_000);

  it('refuses at start-up a registry URL that is not the API (any 404 other than 40403)', async () => {
    const root = new URL(SCHEMA_REGISTRY_URL);
    const sink = startSink({ SINK_TOPICS: `^${prefix}-none`, PG_SCHEMA: schema, SINK_GROUP_ID: group, DLQ_TOPIC: dlqTopic, SCHEMA_REGISTRY_URL: `${root.origin}/` });
    try {
      const err = (await sink.started.then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; exitCode?: number; message?: string } | undefined;
      expect(err?.code).toBe('CDC_CONFIG');
      expect(err?.exitCode).toBe(2);
      expect(err?.message).toMatch(/SCHEMA_REGISTRY_URL .* answered 404 for \/subjects without error code 40403/);
    } finally {
      await sink.proc.stop();
    }
  }, 60_000);
});
