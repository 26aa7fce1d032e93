/**
 * `scylla-pg-cdc offsets export FILE` / `offsets import FILE [--force]` / `offsets ack`.
 *
 * Export records each sink offset's Kafka topic id; import refuses offsets whose topic id is not the
 * topic's id in this cluster (a recreated topic, another cluster) unless `--force`. `ack` acknowledges
 * the sink's open offset problems (retention gaps, held partitions: `_cdc_offset_resets`).
 *
 * Export and import cover this deployment only (SOURCE_NAME, SINK_GROUP_ID, PG_SCHEMA, topics in
 * SINK_TOPICS): a file naming anything else is refused whole (exit 2) before anything is written.
 * Import refuses while a source or sink runs (their /healthz answers, or their Kafka groups have
 * members), because a running process would overwrite the imported position; `--force` skips that
 * check. The checkpoints are written in one Kafka transaction; the sink offsets in one PostgreSQL
 * transaction that also bumps each partition's ownership epoch, so any stale sink is fenced.
 */
import { print, printErr } from '../cli/output.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { createPgClient } from '../clients/postgres.js';
import type { CommandContext } from '../cli/command-context.js';
import { parseCommandArgs, type OptionSpec } from '../cli/args.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadToolsConfig, type ToolsConfig } from '../config/tools-config.js';
import { createKafka } from '../clients/kafka.js';
import { createTopicsAndWait } from '../clients/create-topics.js';
import { createSchemaIfMissing } from '../clients/pg-schema.js';
import { createLogger } from '../log/logger.js';
import { topicIds } from '../clients/topic-ids.js';
import { addOffsetsTopicIdSql, createOffsetsTableSql } from '../sink/core/ddl-sql.js';
import { OFFSETS_TABLE, OFFSET_RESETS_TABLE, qualified } from '../core/sql-ident.js';
import { importScopeProblems, parseOffsetsFile, type OffsetsFile } from './offsets-file.js';
import { matchTopics, parseTopicSelector } from '../sink/core/topic-match.js';
import { processAnswers } from './probes.js';
import { readTopicToEnd } from '../clients/topic-reader.js';

const checkpointsTopic = (sourceName: string) => `_scylla-pg-cdc.${sourceName}.offsets`;
const sourceGroup = (sourceName: string) => `_scylla-pg-cdc.${sourceName}.source`;

const USAGE = 'usage: scylla-pg-cdc offsets export FILE | offsets import FILE [--force] | offsets ack [--topic T] [--partition N]';

const OPTIONS: OptionSpec = { force: { type: 'boolean' }, topic: { type: 'string' }, partition: { type: 'string' } };

async function exportOffsets(cfg: ToolsConfig, kafka: ReturnType<typeof createKafka>): Promise<OffsetsFile> {
  const topic = checkpointsTopic(cfg.sourceName);
  const latest = new Map<string, { partition: number; key: string; value: string }>();
  for (const m of await readTopicToEnd(kafka, topic)) {
    const key = m.key?.toString('utf8');
    if (!key) continue;
    if (m.value === null || m.value.length === 0)
      latest.delete(key); // a tombstone removes the key
    else latest.set(key, { partition: m.partition, key, value: m.value.toString('utf8') });
  }
  const client = createPgClient(cfg, 'scylla-pg-cdc-offsets');
  await client.connect();
  try {
    const exists = await client.query('SELECT to_regclass($1) AS t', [qualified(cfg.pgSchema, OFFSETS_TABLE)]);
    if (exists.rows[0]?.t) await client.query(addOffsetsTopicIdSql(cfg.pgSchema)); // tables of older sinks
    const rows = exists.rows[0]?.t
      ? (
          await client.query<{ group_id: string; topic: string; partition: number; next_offset: string | null; topic_id: string | null }>(
            `SELECT group_id, topic, partition, next_offset::text AS next_offset, topic_id FROM ${qualified(cfg.pgSchema, OFFSETS_TABLE)} WHERE group_id = $1 ORDER BY topic, partition`,
            [cfg.sinkGroupId],
          )
        ).rows
      : [];
    const ids = await topicIds(kafka, [...new Set(rows.map((r) => r.topic))], createLogger('offsets', cfg.logLevel, 'stderr'));
    return {
      format: 'scylla-pg-cdc-offsets',
      version: 1,
      exportedAt: new Date().toISOString(),
      source: { name: cfg.sourceName, topic, checkpoints: [...latest.values()].sort((a, b) => a.key.localeCompare(b.key)) },
      // An offset stored before topic ids were recorded gets the topic's current id: it was read from it.
      sink: { schema: cfg.pgSchema, offsets: rows.map((r) => ({ ...r, topic_id: r.topic_id ?? ids?.ids.get(r.topic) ?? null })) },
      kafka: { clusterId: ids?.clusterId ?? null },
    };
  } finally {
    await client.end();
  }
}

async function runningProcesses(cfg: ToolsConfig, kafka: ReturnType<typeof createKafka>): Promise<string[]> {
  const found: string[] = [];
  for (const url of cfg.sourceStatusUrl) if (await processAnswers(url)) found.push(`source at ${url}`);
  for (const url of cfg.sinkStatusUrl) if (await processAnswers(url)) found.push(`sink at ${url}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([cfg.sinkGroupId, sourceGroup(cfg.sourceName)]);
    for (const g of groups) if (g.members.length > 0) found.push(`${g.members.length} member(s) in Kafka group ${g.groupId}`);
  } finally {
    await admin.disconnect();
  }
  return found;
}

/** Sink offsets whose topic id in the file is not the topic's id in this cluster (recreated, other cluster). */
export function topicIdMismatches(file: OffsetsFile, current: Map<string, string>): string[] {
  const out = new Set<string>();
  for (const o of file.sink.offsets) {
    if (!o.topic_id) continue; // older file: nothing to compare
    const now = current.get(o.topic);
    if (now === undefined) out.add(`${o.topic}: exported with topic id ${o.topic_id}, the topic does not exist here`);
    else if (now !== o.topic_id) out.add(`${o.topic}: exported with topic id ${o.topic_id}, here it is ${now} (recreated, or another cluster)`);
  }
  return [...out];
}

async function ackProblems(cfg: ToolsConfig, topic: string | undefined, partition: number | undefined): Promise<number> {
  const client = createPgClient(cfg, 'scylla-pg-cdc-offsets');
  await client.connect();
  try {
    const table = qualified(cfg.pgSchema, OFFSET_RESETS_TABLE);
    const exists = await client.query('SELECT to_regclass($1) AS t', [table]);
    const rows = exists.rows[0]?.t
      ? (
          await client.query<{ topic: string; partition: number; reason: string; action: string; detail: string }>(
            `UPDATE ${table} SET acknowledged_at = now() WHERE group_id = $1 AND acknowledged_at IS NULL AND ($2::text IS NULL OR topic = $2) AND ($3::int IS NULL OR partition = $3)
             RETURNING topic, partition, reason, action, detail`,
            [cfg.sinkGroupId, topic ?? null, partition ?? null],
          )
        ).rows
      : [];
    if (rows.length === 0) {
      print(`nothing to acknowledge for sink group ${cfg.sinkGroupId}\n`);
      return 0;
    }
    for (const r of rows)
      print(
        `acknowledged ${r.topic}/${r.partition} ${r.reason}${r.action === 'held' ? ' (held partition: the sink reads it from its log start within a few seconds)' : ''}: ${r.detail}\n`,
      );
    return 0;
  } finally {
    await client.end();
  }
}

async function importOffsets(cfg: ToolsConfig, kafka: ReturnType<typeof createKafka>, file: OffsetsFile, currentIds: Map<string, string>): Promise<void> {
  const topic = file.source.topic;
  if (file.source.checkpoints.length > 0) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const partitions = meta?.topics[0]?.partitions.length ?? 0;
      const needed = Math.max(...file.source.checkpoints.map((c) => c.partition)) + 1;
      if (partitions === 0) {
        await createTopicsAndWait(admin, [{ topic, numPartitions: needed, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]);
      } else if (partitions < needed) {
        throw Object.assign(new Error(`${topic} has ${partitions} partition(s) but the file uses partition ${needed - 1}`), { exitCode: 2 });
      }
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ transactionalId: `_scylla-pg-cdc.${file.source.name}.offsets-import`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      try {
        for (const c of file.source.checkpoints) await tx.send({ topic, messages: [{ partition: c.partition, key: c.key, value: c.value }] });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined); // the commit error is what matters; abort is best effort
        throw err;
      }
    } finally {
      await producer.disconnect();
    }
  }
  const client = createPgClient(cfg, 'scylla-pg-cdc-offsets');
  await client.connect();
  try {
    await client.query('BEGIN');
    await createSchemaIfMissing(client, file.sink.schema);
    await client.query(createOffsetsTableSql(file.sink.schema));
    await client.query(addOffsetsTopicIdSql(file.sink.schema));
    for (const o of file.sink.offsets) {
      // The topic id is the cluster's current one: import has checked (or --force asserted) that
      // these offsets belong to it.
      await client.query(
        `INSERT INTO ${qualified(file.sink.schema, OFFSETS_TABLE)} AS o (group_id, topic, partition, next_offset, generation, topic_id) VALUES ($1, $2, $3, $4, 1, $5)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, topic_id = EXCLUDED.topic_id, generation = o.generation + 1, updated_at = now()`,
        [o.group_id, o.topic, o.partition, o.next_offset, currentIds.get(o.topic) ?? null],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined); // connection may be gone; the error below says why
    throw err;
  } finally {
    await client.end();
  }
}

export async function runOffsets(ctx: CommandContext): Promise<number> {
  const a = parseCommandArgs(ctx.argv, OPTIONS, USAGE, { min: 1, max: 2 });
  const [action, path] = a.positionals;
  const topic = a.string('topic');
  const partition = a.string('partition') === undefined ? undefined : a.int('partition', 0);
  if (action === 'ack') {
    if (path !== undefined || a.flag('force')) throw a.error('ack takes only --topic and --partition');
    return ackProblems(loadToolsConfig(ctx.env, readSecretFile), topic, partition);
  }
  if ((action !== 'export' && action !== 'import') || !path) throw a.error('expected export FILE, import FILE or ack');
  if (topic !== undefined || partition !== undefined) throw a.error('--topic and --partition apply to ack only');
  const force = a.flag('force');
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  const log = createLogger('offsets', cfg.logLevel, 'stderr');
  const kafka = createKafka(cfg, log, '-offsets');
  if (action === 'export') {
    const file = await exportOffsets(cfg, kafka);
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    print(`exported ${file.source.checkpoints.length} source checkpoint(s) and ${file.sink.offsets.length} sink offset(s) to ${path}\n`);
    return 0;
  }
  const file = parseOffsetsFile(readFileSync(path, 'utf8'));
  const selector = parseTopicSelector(cfg.sinkTopics);
  const problems = importScopeProblems(file, {
    sourceName: cfg.sourceName,
    checkpointsTopic: checkpointsTopic(cfg.sourceName),
    sinkGroupId: cfg.sinkGroupId,
    pgSchema: cfg.pgSchema,
    consumes: (t) => matchTopics(selector, [t], cfg.dlqTopic).length === 1,
  });
  if (problems.length > 0) throw Object.assign(new Error(`offsets file does not belong to this deployment:\n${problems.map((p) => `  - ${p}`).join('\n')}`), { exitCode: 2 });
  if (!force) {
    const running = await runningProcesses(cfg, kafka);
    if (running.length > 0) {
      printErr(`refusing to import while processes run (stop them, or pass --force):\n${running.map((r) => `  - ${r}`).join('\n')}\n`);
      return 1;
    }
  }
  const ids = await topicIds(kafka, [...new Set(file.sink.offsets.map((o) => o.topic))], log);
  const current = ids?.ids ?? new Map<string, string>();
  const mismatched = ids ? topicIdMismatches(file, current) : [];
  if (mismatched.length > 0 && !force) {
    printErr(
      `refusing to import sink offsets taken from other topics (their offsets would skip or re-read records here; pass --force if you are sure):\n${mismatched.map((m) => `  - ${m}`).join('\n')}\n`,
    );
    return 1;
  }
  await importOffsets(cfg, kafka, file, current);
  print(`imported ${file.source.checkpoints.length} source checkpoint(s) and ${file.sink.offsets.length} sink offset(s) from ${path}\n`);
  return 0;
}
