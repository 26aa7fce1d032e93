/**
 * `scylla-pg-cdc offsets export FILE` / `offsets import FILE [--force]`.
 *
 * Export and import cover this deployment only (SOURCE_NAME, SINK_GROUP_ID, PG_SCHEMA, topics in
 * SINK_TOPICS): a file naming anything else is refused whole (exit 2) before anything is written.
 * Import refuses while a source or sink runs (their /healthz answers, or their Kafka groups have
 * members), because a running process would overwrite the imported position; `--force` skips that
 * check. The checkpoints are written in one Kafka transaction; the sink offsets in one PostgreSQL
 * transaction that also bumps each partition's ownership epoch, so any stale sink is fenced.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import type { CommandContext } from '../cli/commands.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadToolsConfig, type ToolsConfig } from '../config/tools-config.js';
import { createKafka } from '../kafka/kafka-client.js';
import { createLogger } from '../log/logger.js';
import { OFFSETS_TABLE, qualified } from '../sink/core/sql-ident.js';
import { importScopeProblems, parseOffsetsFile, type OffsetsFile } from './offsets-file.js';
import { matchTopics, parseTopicSelector } from '../sink/core/topic-match.js';
import { processAnswers } from './probes.js';
import { readTopicToEnd } from './topic-reader.js';

const checkpointsTopic = (sourceName: string) => `_scylla-pg-cdc.${sourceName}.offsets`;
const sourceGroup = (sourceName: string) => `_scylla-pg-cdc.${sourceName}.source`;

function usage(msg: string): Error {
  return Object.assign(new Error(`${msg}\nusage: scylla-pg-cdc offsets export FILE | offsets import FILE [--force]`), { exitCode: 2 });
}

async function exportOffsets(cfg: ToolsConfig, kafka: ReturnType<typeof createKafka>): Promise<OffsetsFile> {
  const topic = checkpointsTopic(cfg.sourceName);
  const latest = new Map<string, { partition: number; key: string; value: string }>();
  for (const m of await readTopicToEnd(kafka, topic)) {
    const key = m.key?.toString('utf8');
    if (!key) continue;
    if (m.value === null || m.value.length === 0) latest.delete(key); // a tombstone removes the key
    else latest.set(key, { partition: m.partition, key, value: m.value.toString('utf8') });
  }
  const client = new pg.Client({ connectionString: cfg.pgUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT to_regclass($1) AS t', [qualified(cfg.pgSchema, OFFSETS_TABLE)]);
    const rows = exists.rows[0]?.t
      ? (await client.query<{ group_id: string; topic: string; partition: number; next_offset: string | null }>(`SELECT group_id, topic, partition, next_offset::text AS next_offset FROM ${qualified(cfg.pgSchema, OFFSETS_TABLE)} WHERE group_id = $1 ORDER BY topic, partition`, [cfg.sinkGroupId])).rows
      : [];
    return {
      format: 'scylla-pg-cdc-offsets',
      version: 1,
      exportedAt: new Date().toISOString(),
      source: { name: cfg.sourceName, topic, checkpoints: [...latest.values()].sort((a, b) => a.key.localeCompare(b.key)) },
      sink: { schema: cfg.pgSchema, offsets: rows },
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

async function importOffsets(cfg: ToolsConfig, kafka: ReturnType<typeof createKafka>, file: OffsetsFile): Promise<void> {
  const topic = file.source.topic;
  if (file.source.checkpoints.length > 0) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const partitions = meta?.topics[0]?.partitions.length ?? 0;
      const needed = Math.max(...file.source.checkpoints.map((c) => c.partition)) + 1;
      if (partitions === 0) {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: needed, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
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
  const client = new pg.Client({ connectionString: cfg.pgUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${file.sink.schema.replace(/"/g, '""')}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${qualified(file.sink.schema, OFFSETS_TABLE)} (group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint, generation bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (group_id, topic, partition))`);
    for (const o of file.sink.offsets) {
      await client.query(
        `INSERT INTO ${qualified(file.sink.schema, OFFSETS_TABLE)} AS o (group_id, topic, partition, next_offset, generation) VALUES ($1, $2, $3, $4, 1)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, generation = o.generation + 1, updated_at = now()`,
        [o.group_id, o.topic, o.partition, o.next_offset],
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
  const [action, path, ...rest] = ctx.argv;
  if ((action !== 'export' && action !== 'import') || !path) throw usage('expected export FILE or import FILE');
  const force = rest.includes('--force');
  if (rest.some((r) => r !== '--force')) throw usage(`unexpected argument(s): ${rest.join(' ')}`);
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  const log = createLogger('offsets', cfg.logLevel, 'stderr');
  const kafka = createKafka(cfg, log, '-offsets');
  if (action === 'export') {
    const file = await exportOffsets(cfg, kafka);
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    process.stdout.write(`exported ${file.source.checkpoints.length} source checkpoint(s) and ${file.sink.offsets.length} sink offset(s) to ${path}\n`);
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
      process.stderr.write(`refusing to import while processes run (stop them, or pass --force):\n${running.map((r) => `  - ${r}`).join('\n')}\n`);
      return 1;
    }
  }
  await importOffsets(cfg, kafka, file);
  process.stdout.write(`imported ${file.source.checkpoints.length} source checkpoint(s) and ${file.sink.offsets.length} sink offset(s) from ${path}\n`);
  return 0;
}
