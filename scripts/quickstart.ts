/**
 * `npm run quickstart [-- --duration 60] [--rate 50]`: the whole pipeline on the local stack.
 *
 * Starts the stack (Kafka, registry, Scylla emulator, PostgreSQL), creates app_data.users and
 * app_data.orders with CDC (deploy/scylla/init.cql, the same file docker-compose uses), runs
 * `scylla-pg-cdc source` and `scylla-pg-cdc sink`, writes a steady stream of inserts, partial
 * updates and deletes, and shows live progress until Ctrl-C or --duration. The stack keeps running
 * afterwards so the data can be inspected; `npm run stack:down` stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import pg from 'pg';
import { ENDPOINTS, ensureStack, ROOT, STATE_DIR } from './stack-control.js';
import { parsePrometheusText, sumMetric } from '../src/metrics/prometheus-text.js';

interface Options {
  durationS: number;
  rate: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { durationS: 0, rate: 50 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = Number(argv[i + 1]);
    if (arg === '--duration' && Number.isFinite(next) && next > 0) {
      opts.durationS = next;
      i++;
    } else if (arg === '--rate' && Number.isFinite(next) && next > 0) {
      opts.rate = next;
      i++;
    } else {
      process.stderr.write('usage: npm run quickstart [-- --duration SECONDS] [--rate CHANGES_PER_SECOND]\n');
      process.exit(2);
    }
  }
  return opts;
}

const SOURCE_PORT = 9101;
const SINK_PORT = 9102;
const PG_SCHEMA = 'cdc_data';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startProcess(name: 'source' | 'sink', env: Record<string, string>): ChildProcess {
  const dir = join(STATE_DIR, 'quickstart');
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, `${name}.log`), 'a');
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), name], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
}

async function createTables(client: cassandra.Client): Promise<void> {
  const script = readFileSync(join(ROOT, 'deploy/scylla/init.cql'), 'utf8').replace(/--[^\n]*/g, '');
  for (const statement of script
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    // The emulator is a single node: the docker-compose script's NetworkTopologyStrategy works as is.
    await client.execute(statement);
  }
}

/**
 * The emulator keeps no data across a stack reset, so rows left in PostgreSQL by an earlier
 * quickstart belong to a ScyllaDB that no longer exists: empty the quickstart's tables (not the
 * sink's offsets: the sink finds by itself that they point into a Kafka that is gone).
 */
async function forgetOldRows(say: (l: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: ENDPOINTS.postgres });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string }>(`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)`, [
      PG_SCHEMA,
      ['users', 'orders', '_cdc_tombstones_users', '_cdc_tombstones_orders', '_cdc_range_tombstones_orders'],
    ]);
    if (rows.length === 0) return;
    await client.query(`TRUNCATE ${rows.map((r) => `"${PG_SCHEMA}".${r.t}`).join(', ')}`);
    say(`ScyllaDB is new (the stack was reset): emptied ${PG_SCHEMA}'s quickstart tables, whose rows came from the old one`);
  } finally {
    await client.end();
  }
}

/** A steady, mixed workload: inserts, partial updates, deletes; orders clustered per customer. */
class Writer {
  written = { users: 0, orders: 0 };
  private userIds: cassandra.types.Uuid[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: cassandra.Client,
    private readonly rate: number,
  ) {}

  start(): void {
    const perTick = Math.max(1, Math.round(this.rate / 10));
    this.timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) void this.one().catch((err: unknown) => process.stderr.write(`write failed: ${(err as Error).message}\n`));
    }, 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async one(): Promise<void> {
    const dice = Math.random();
    if (dice < 0.5 || this.userIds.length < 10) {
      const id = cassandra.types.Uuid.random();
      this.userIds.push(id);
      await this.client.execute(
        'INSERT INTO app_data.users (id, name, email, created_at, tags) VALUES (?, ?, ?, ?, ?)',
        [id, `user ${this.userIds.length}`, `u${this.userIds.length}@example.com`, new Date(), ['new']],
        { prepare: true },
      );
      this.written.users++;
    } else if (dice < 0.7) {
      const id = this.userIds[Math.floor(Math.random() * this.userIds.length)]!;
      await this.client.execute('UPDATE app_data.users SET email = ? WHERE id = ?', [`changed${Date.now()}@example.com`, id], { prepare: true });
      this.written.users++;
    } else if (dice < 0.75) {
      const id = this.userIds.splice(Math.floor(Math.random() * this.userIds.length), 1)[0]!;
      await this.client.execute('DELETE FROM app_data.users WHERE id = ?', [id], { prepare: true });
      this.written.users++;
    } else {
      const customer = this.userIds[Math.floor(Math.random() * this.userIds.length)]!;
      await this.client.execute(
        'INSERT INTO app_data.orders (customer_id, order_id, status, total, items) VALUES (?, now(), ?, ?, ?)',
        [customer, 'new', cassandra.types.BigDecimal.fromString((Math.random() * 100).toFixed(2)), { widget: 1 + Math.floor(Math.random() * 5) }],
        { prepare: true },
      );
      this.written.orders++;
    }
  }
}

async function scrape(port: number): Promise<ReturnType<typeof parsePrometheusText> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? parsePrometheusText(await res.text()) : undefined;
  } catch {
    return undefined; // the process is still starting; shown as "-"
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say('starting the local stack (first run downloads Kafka and Apicurio from Maven Central)…');
  await ensureStack({ log: (l) => say(`  ${l}`) });

  const scylla = new cassandra.Client({ contactPoints: [ENDPOINTS.scylla], localDataCenter: 'datacenter1' });
  await scylla.connect();
  const freshScylla = scylla.metadata.keyspaces['app_data'] === undefined;
  await createTables(scylla);
  say('created app_data.users and app_data.orders with CDC');
  if (freshScylla) await forgetOldRows(say);

  const common = {
    SCYLLA_CONTACT_POINTS: ENDPOINTS.scylla,
    SCYLLA_TABLES: 'app_data.users,app_data.orders',
    KAFKA_BROKERS: ENDPOINTS.kafka,
    SCHEMA_REGISTRY_URL: ENDPOINTS.registry,
    PG_URL: ENDPOINTS.postgres,
    PG_SCHEMA,
    CDC_CONFIDENCE_WINDOW_MS: '2000',
    SOURCE_NAME: 'quickstart',
    SINK_GROUP_ID: 'quickstart-sink',
  };
  let stopping = false;
  const source = startProcess('source', { ...common, METRICS_PORT: String(SOURCE_PORT) });
  const sink = startProcess('sink', { ...common, METRICS_PORT: String(SINK_PORT) });
  for (const [name, child] of [
    ['source', source],
    ['sink', sink],
  ] as const) {
    child.once('exit', (code, signal) => {
      if (!stopping) say(`${name} exited (${code ?? signal}); see ${join(STATE_DIR, 'quickstart', `${name}.log`)}`);
    });
  }

  const writer = new Writer(scylla, opts.rate);
  writer.start();
  const warehouse = new pg.Client({ connectionString: ENDPOINTS.postgres });
  await warehouse.connect();

  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (opts.durationS > 0) setTimeout(resolve, opts.durationS * 1000).unref();
  });

  const t0 = Date.now();
  let done = false;
  void stopped.then(() => (done = true));
  while (!done) {
    await Promise.race([sleep(2000), stopped]);
    const [src, snk] = await Promise.all([scrape(SOURCE_PORT), scrape(SINK_PORT)]);
    const lines = [`— ${Math.round((Date.now() - t0) / 1000)} s —  table     written  in Kafka  in PostgreSQL  rows  lag s`];
    for (const table of ['users', 'orders'] as const) {
      const rows = await warehouse.query<{ n: string }>(`SELECT count(*) AS n FROM "${PG_SCHEMA}"."${table}"`).then(
        (r) => r.rows[0]?.n ?? '0',
        () => '-',
      );
      const produced = src ? sumMetric(src, 'cdc_records_replicated_total', { table }) : undefined;
      const applied = snk ? sumMetric(snk, 'cdc_records_replicated_total', { table }) : undefined;
      const lag = snk ? sumMetric(snk, 'cdc_replication_lag_seconds', { table }) : undefined;
      lines.push(
        `                 ${table.padEnd(8)} ${String(writer.written[table]).padStart(8)}  ${String(produced ?? '-').padStart(8)}  ${String(applied ?? '-').padStart(13)}  ${rows.padStart(4)}  ${lag === undefined ? '-' : lag.toFixed(1)}`,
      );
    }
    const dlq = snk ? sumMetric(snk, 'cdc_sink_dlq_records_total', {}) : undefined;
    // A rerun on a reset stack meets offsets stored for the old Kafka: the sink resets them (and says so).
    const recreated = snk ? sumMetric(snk, 'cdc_sink_offset_resets_total', { reason: 'topic-recreated' }) : 0;
    const lost = snk ? sumMetric(snk, 'cdc_sink_offsets_lost_total', {}) : 0;
    const problems = snk ? sumMetric(snk, 'cdc_sink_offset_problems_unacknowledged', {}) : 0;
    const resets = [
      recreated ? `${recreated} partition(s) of recreated topics read from their start` : '',
      lost ? `${lost} offset(s) lost to retention` : '',
      problems ? `${problems} offset problem(s) to acknowledge (scylla-pg-cdc offsets ack)` : '',
    ].filter(Boolean);
    lines.push(
      `  source ${src ? 'up' : 'starting'}, sink ${snk ? 'up' : 'starting'}, dead-lettered ${dlq ?? (snk ? 0 : '-')}${resets.length ? `; offsets: ${resets.join(', ')}` : ''}`,
    );
    say(lines.join('\n'));
  }

  stopping = true;
  writer.stop();
  say('stopping: letting the pipeline catch up, then SIGTERM to source and sink (they drain and exit 0)…');
  await sleep(Number(common.CDC_CONFIDENCE_WINDOW_MS) + 3000);
  const exits = [source, sink].map((c) => new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', r))));
  source.kill('SIGTERM');
  sink.kill('SIGTERM');
  await Promise.race([Promise.all(exits), sleep(30_000)]);
  await warehouse.end();
  await scylla.shutdown();
  say(
    [
      '',
      'Where things are:',
      `  data        psql ${ENDPOINTS.postgres} -c 'SELECT * FROM ${PG_SCHEMA}.users LIMIT 5'`,
      `  metrics     source http://127.0.0.1:${SOURCE_PORT}/metrics, sink http://127.0.0.1:${SINK_PORT}/metrics (while running)`,
      `  logs        ${join(STATE_DIR, 'quickstart')}/{source,sink}.log, stack logs in ${STATE_DIR}/<component>/`,
      `  topics      cdc.scylla.users, cdc.scylla.orders on ${ENDPOINTS.kafka}; registry ${ENDPOINTS.registry}`,
      '  stop stack  npm run stack:down',
    ].join('\n'),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`quickstart failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
