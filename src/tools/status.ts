/**
 * `scylla-pg-cdc status [--json]`: tables, lag, rates and DLQ counts from the running processes'
 * /metrics (scraped twice, one second apart, for rates) and the DLQ topic's size.
 */
import { print } from '../cli/output.js';
import type { CommandContext } from '../cli/command-context.js';
import { parseCommandArgs } from '../cli/args.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadToolsConfig } from '../config/tools-config.js';
import { createKafka } from '../clients/kafka.js';
import { createLogger } from '../log/logger.js';
import { parsePrometheusText, type Sample } from '../metrics/prometheus-text.js';
import { sourceSnapshots } from './snapshot.js';
import { createPgClient } from '../clients/postgres.js';
import { formatPaused, pausedReport, type PausedReportRow } from './paused-report.js';

interface TableRow {
  table: string;
  produced: number;
  applied: number;
  producedPerSec: number;
  appliedPerSec: number;
  lagSeconds: number | null;
  sourceWindowLagSeconds: number | null;
}

async function scrape(url: string): Promise<Sample[] | undefined> {
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/metrics`, { signal: AbortSignal.timeout(3000) });
    return res.ok ? parsePrometheusText(await res.text()) : undefined;
  } catch {
    return undefined; // not running: shown as down
  }
}

const byTable = (samples: Sample[], name: string, reduce: (a: number, b: number) => number) => {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name || s.labels.table === undefined) continue;
    const prev = out.get(s.labels.table);
    out.set(s.labels.table, prev === undefined ? s.value : reduce(prev, s.value));
  }
  return out;
};
const sum = (a: number, b: number) => a + b;

async function dlqSize(kafka: ReturnType<typeof createKafka>, topic: string): Promise<number | null> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
  } catch {
    return null; // Kafka down: shown as unknown
  } finally {
    await admin.disconnect().catch(() => undefined); // best effort after a failed connect
  }
}

/** Tables paused by the operator, with since-when and the records waiting; null when PostgreSQL is down. */
async function pausedTables(cfg: ReturnType<typeof loadToolsConfig>, kafka: ReturnType<typeof createKafka>): Promise<PausedReportRow[] | null> {
  const client = createPgClient(cfg, 'scylla-pg-cdc-status');
  const admin = kafka.admin();
  try {
    await client.connect();
    const connected = await admin.connect().then(
      () => true,
      () => false,
    );
    return await pausedReport(client, connected ? admin : undefined, cfg);
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

export async function runStatus(ctx: CommandContext): Promise<number> {
  const json = parseCommandArgs(ctx.argv, { json: { type: 'boolean' } }, 'usage: scylla-pg-cdc status [--json]').flag('json');
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  const kafka = createKafka(cfg, createLogger('status', cfg.logLevel, 'stderr'), '-status');
  const urls = [...cfg.sourceStatusUrl.map((u) => ['source', u] as const), ...cfg.sinkStatusUrl.map((u) => ['sink', u] as const)];
  const first = await Promise.all(urls.map(([, u]) => scrape(u)));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  const second = await Promise.all(urls.map(([, u]) => scrape(u)));
  const dt = (Date.now() - t0) / 1000;

  const collect = (component: 'source' | 'sink', scrapes: (Sample[] | undefined)[]) => scrapes.filter((_, i) => urls[i]![0] === component).flatMap((s) => s ?? []);
  const srcA = byTable(collect('source', first), 'cdc_records_replicated_total', sum);
  const srcB = byTable(collect('source', second), 'cdc_records_replicated_total', sum);
  const snkA = byTable(collect('sink', first), 'cdc_records_replicated_total', sum);
  const snkB = byTable(collect('sink', second), 'cdc_records_replicated_total', sum);
  const lag = byTable(collect('sink', second), 'cdc_replication_lag_seconds', Math.max);
  const windowLag = byTable(collect('source', second), 'cdc_source_window_lag_seconds', Math.max);
  const tables = [...new Set([...srcB.keys(), ...snkB.keys(), ...(cfg.scyllaTables ?? []).map((t) => t.split('.')[1]!)])].sort();
  const rows: TableRow[] = tables.map((table) => ({
    table,
    produced: srcB.get(table) ?? 0,
    applied: snkB.get(table) ?? 0,
    producedPerSec: ((srcB.get(table) ?? 0) - (srcA.get(table) ?? 0)) / dt,
    appliedPerSec: ((snkB.get(table) ?? 0) - (snkA.get(table) ?? 0)) / dt,
    lagSeconds: lag.get(table) ?? null,
    sourceWindowLagSeconds: windowLag.get(table) ?? null,
  }));
  const dlqByReason = new Map<string, number>();
  for (const s of collect('sink', second))
    if (s.name === 'cdc_sink_dlq_records_total') dlqByReason.set(s.labels.reason ?? '?', (dlqByReason.get(s.labels.reason ?? '?') ?? 0) + s.value);
  const processes = urls.map(([component, url], i) => ({
    component,
    url,
    up: second[i] !== undefined,
    healthy: second[i]?.find((s) => s.name === 'cdc_connector_healthy')?.value === 1,
  }));
  const dlq = { topic: cfg.dlqTopic, records: await dlqSize(kafka, cfg.dlqTopic), sinceStartByReason: Object.fromEntries(dlqByReason) };
  const snaps = await sourceSnapshots(cfg.sourceStatusUrl);
  const paused = await pausedTables(cfg, kafka);

  if (json) {
    print(`${JSON.stringify({ processes, tables: rows, dlq, snapshots: snaps, pausedTables: paused }, null, 2)}\n`);
    return 0;
  }
  for (const p of processes) print(`${p.component.padEnd(6)} ${p.url}  ${p.up ? (p.healthy ? 'healthy' : 'UNHEALTHY') : 'down'}\n`);
  print(
    `\n${'table'.padEnd(20)} ${'produced'.padStart(10)} ${'applied'.padStart(10)} ${'in/s'.padStart(8)} ${'out/s'.padStart(8)} ${'lag s'.padStart(8)} ${'window lag s'.padStart(12)}\n`,
  );
  const f = (n: number | null, d = 1) => (n === null ? '-' : n.toFixed(d));
  for (const r of rows)
    print(
      `${r.table.padEnd(20)} ${String(r.produced).padStart(10)} ${String(r.applied).padStart(10)} ${f(r.producedPerSec).padStart(8)} ${f(r.appliedPerSec).padStart(8)} ${f(r.lagSeconds).padStart(8)} ${f(r.sourceWindowLagSeconds).padStart(12)}\n`,
    );
  for (const p of snaps ?? []) {
    print(`snapshot ${p.table}: requested ${p.requestedAt}, ${p.rangesDone}/${p.ranges} ranges (${p.slotsStarted}/${p.slots} slots started), ${p.done ? 'done' : 'in progress'}\n`);
  }
  // Only when there is something to say: most of the time nothing is paused.
  if (paused === null || paused.length > 0)
    print(`\npaused tables (sink group ${cfg.sinkGroupId}):${paused === null ? ' unknown (PostgreSQL unreachable)\n' : `\n${formatPaused(paused)}`}`);
  print(`\nDLQ ${dlq.topic}: ${dlq.records ?? 'unknown'} record(s)${dlqByReason.size ? `; since sink start: ${[...dlqByReason].map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}\n`);
  return 0;
}
