/**
 * `scylla-pg-cdc pause (--table KS.T | --topic T) [--reason TEXT] [--by WHO] [--force]`,
 * `pause --list [--json]`, `resume (--table KS.T | --topic T)`.
 *
 * Records the operator's wish in `<PG_SCHEMA>._cdc_paused_tables` (paused-tables-store.ts); every
 * sink of SINK_GROUP_ID stops applying the topic within SINK_TOPIC_REFRESH_MS, keeps applying the
 * others, and picks it up where it stopped after `resume`. Pausing a topic the sink would not
 * consume (absent from Kafka, or outside SINK_TOPICS) is refused unless --force: a typo must not
 * look like a pause that worked.
 */
import { hostname, userInfo } from 'node:os';
import { print, printErr } from '../cli/output.js';
import type { CommandContext } from '../cli/command-context.js';
import { parseCommandArgs, type OptionSpec } from '../cli/args.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadToolsConfig, type ToolsConfig } from '../config/tools-config.js';
import { createKafka } from '../clients/kafka.js';
import { createPgClient } from '../clients/postgres.js';
import { createLogger } from '../log/logger.js';
import { topicFor } from '../core/topic-name.js';
import { createSchemaIfMissing } from '../clients/pg-schema.js';
import { createPausedTablesSql } from '../sink/core/ddl-sql.js';
import { matchTopics, parseTopicSelector } from '../sink/core/topic-match.js';
import { PausedTablesStore } from '../sink/paused-tables-store.js';
import { formatPaused, pausedReport } from './paused-report.js';

export const PAUSE_USAGE = 'usage: scylla-pg-cdc pause (--table KS.T | --topic T) [--reason TEXT] [--by WHO] [--force] | pause --list [--json]';
export const RESUME_USAGE = 'usage: scylla-pg-cdc resume (--table KS.T | --topic T)';

export type PauseRequest =
  { kind: 'list'; json: boolean } | { kind: 'pause' | 'resume'; table: string | null; topic: string | null; reason: string | null; by: string | null; force: boolean };

/** Arguments → what to do; every mistake is a usage error (exit 2). Pure but for the defaults. */
export function parsePauseArgs(command: 'pause' | 'resume', argv: string[]): PauseRequest {
  const options: OptionSpec =
    command === 'pause'
      ? {
          table: { type: 'string' },
          topic: { type: 'string' },
          reason: { type: 'string' },
          by: { type: 'string' },
          force: { type: 'boolean' },
          list: { type: 'boolean' },
          json: { type: 'boolean' },
        }
      : { table: { type: 'string' }, topic: { type: 'string' } };
  const a = parseCommandArgs(argv, options, command === 'pause' ? PAUSE_USAGE : RESUME_USAGE);
  const table = a.string('table') ?? null;
  const topic = a.string('topic') ?? null;
  if (a.flag('list')) {
    if (table !== null || topic !== null || a.string('reason') !== undefined || a.string('by') !== undefined || a.flag('force')) throw a.error('--list takes only --json');
    return { kind: 'list', json: a.flag('json') };
  }
  if (a.flag('json')) throw a.error('--json goes with --list');
  if ((table === null) === (topic === null)) throw a.error('name exactly one of --table KS.T or --topic T');
  if (table !== null && !/^[^.\s]+\.[^.\s]+$/.test(table)) throw a.error(`--table expects keyspace.table, got "${table}"`);
  if (topic !== null && topic.trim() === '') throw a.error('--topic must not be empty');
  return { kind: command, table, topic, reason: a.string('reason') ?? null, by: a.string('by') ?? null, force: a.flag('force') };
}

/** The topic a request names: `--topic` as given, `--table` through KAFKA_TOPIC_TEMPLATE. */
export function requestTopic(req: { table: string | null; topic: string | null }, template: string): string {
  if (req.topic !== null) return req.topic;
  const [ks, t] = req.table!.split('.') as [string, string];
  return topicFor(template, ks, t);
}

function defaultBy(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`; // no passwd entry for the uid (containers)
  }
}

async function withClients<T>(cfg: ToolsConfig, fn: (client: ReturnType<typeof createPgClient>, kafka: ReturnType<typeof createKafka>) => Promise<T>): Promise<T> {
  const kafka = createKafka(cfg, createLogger('pause', cfg.logLevel, 'stderr'), '-pause');
  const client = createPgClient(cfg, 'scylla-pg-cdc-pause');
  await client.connect();
  try {
    return await fn(client, kafka);
  } finally {
    await client.end();
  }
}

async function consumedTopics(cfg: ToolsConfig, kafka: ReturnType<typeof createKafka>): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return matchTopics(parseTopicSelector(cfg.sinkTopics), await admin.listTopics(), cfg.dlqTopic);
  } finally {
    await admin.disconnect();
  }
}

async function list(cfg: ToolsConfig, json: boolean): Promise<number> {
  return withClients(cfg, async (client, kafka) => {
    const admin = kafka.admin();
    const connected = await admin.connect().then(
      () => true,
      () => false,
    ); // lag is optional
    try {
      const rows = await pausedReport(client, connected ? admin : undefined, cfg);
      print(json ? `${JSON.stringify(rows, null, 2)}\n` : formatPaused(rows));
      return 0;
    } finally {
      if (connected) await admin.disconnect();
    }
  });
}

export async function runTablePause(command: 'pause' | 'resume', ctx: CommandContext): Promise<number> {
  const req = parsePauseArgs(command, ctx.argv);
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  if (req.kind === 'list') return list(cfg, req.json);
  const topic = requestTopic(req, cfg.kafkaTopicTemplate);
  const what = req.table !== null ? `${req.table} (topic ${topic})` : `topic ${topic}`;
  const store = new PausedTablesStore(cfg.pgSchema, cfg.sinkGroupId);
  return withClients(cfg, async (client, kafka) => {
    if (req.kind === 'resume') {
      await createSchemaIfMissing(client, cfg.pgSchema);
      await client.query(createPausedTablesSql(cfg.pgSchema));
      const was = await store.resume(client, topic);
      if (!was) {
        print(`${what} is not paused for sink group ${cfg.sinkGroupId}\n`);
        return 0;
      }
      print(
        `resumed ${what} for sink group ${cfg.sinkGroupId} (paused since ${was.pausedAt.toISOString()} by ${was.pausedBy}): running sinks apply it again within SINK_TOPIC_REFRESH_MS, from where they stopped\n`,
      );
      return 0;
    }
    if (!req.force && !(await consumedTopics(cfg, kafka)).includes(topic)) {
      printErr(
        `refusing to pause ${what}: no such topic in Kafka among those SINK_TOPICS (${cfg.sinkTopics}) selects${req.table !== null ? ` (KAFKA_TOPIC_TEMPLATE ${cfg.kafkaTopicTemplate})` : ''}. Check the name, or pass --force to pause it anyway (e.g. before its topic exists)\n`,
      );
      return 2;
    }
    await createSchemaIfMissing(client, cfg.pgSchema);
    await client.query(createPausedTablesSql(cfg.pgSchema));
    const { created, paused } = await store.pause(client, { topic, table: req.table, pausedBy: req.by ?? defaultBy(), reason: req.reason });
    if (!created) {
      print(
        `${what} is already paused for sink group ${cfg.sinkGroupId}, since ${paused.pausedAt.toISOString()} by ${paused.pausedBy}${paused.reason ? ` (${paused.reason})` : ''}\n`,
      );
      return 0;
    }
    print(
      `paused ${what} for sink group ${cfg.sinkGroupId}: running sinks stop applying it within SINK_TOPIC_REFRESH_MS and keep applying the other tables. Its changes wait in Kafka: resume before the topic's retention (retention.ms) removes them. \`scylla-pg-cdc resume ${req.table !== null ? `--table ${req.table}` : `--topic ${topic}`}\` to resume\n`,
    );
    return 0;
  });
}
