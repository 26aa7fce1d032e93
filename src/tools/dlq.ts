/**
 * `scylla-pg-cdc dlq list [--limit N] [--json] [--topic T ...] [--filter TERM ...]`
 * `scylla-pg-cdc dlq replay [--topic T ...] [--filter TERM ...] [--to TOPIC] [--dry-run]`
 *
 * Replay re-produces each selected record (original key, value and headers) to its original topic,
 * but only when that topic is one the sink consumes (SINK_TOPICS): the origin comes from the dead
 * letter's headers, which whoever wrote the record chose, so it must not pick where replay writes.
 * `--to TOPIC` sends every selected record to that one topic instead (an operator's explicit choice).
 * The replayed record goes through the whole sink path again: decode, fold, version guard, apply. A record that
 * still fails is dead-lettered again by the sink with the new error. Exactly once: the re-produced
 * records and a ledger entry per replayed DLQ record (`<DLQ_TOPIC>.replayed`, compacted) commit in
 * one Kafka transaction, and a run skips what the ledger already holds — so nothing is replayed twice,
 * even after a crash mid-replay.
 */
import { print } from '../cli/output.js';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import type { CommandContext } from '../cli/command-context.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadToolsConfig, type ToolsConfig } from '../config/tools-config.js';
import { createKafka } from '../clients/kafka.js';
import { createTopicsAndWait } from '../clients/create-topics.js';
import { createLogger } from '../log/logger.js';
import { RegistryHttp } from '../clients/registry.js';
import { matches, parseFilter, REPLAY_HEADER, toDlqEntry, type DlqEntry, type DlqFilter } from './dlq-entry.js';
import { readTopicToEnd } from '../clients/topic-reader.js';
import { parseCommandArgs, usageError, type OptionSpec } from '../cli/args.js';
import { matchTopics, parseTopicSelector } from '../sink/core/topic-match.js';

interface DlqArgs {
  action: 'list' | 'replay';
  limit: number;
  json: boolean;
  dryRun: boolean;
  filter: DlqFilter;
  to?: string;
}

const USAGE = 'usage: scylla-pg-cdc dlq list [--limit N] [--json] [--topic T] [--filter TERM] | dlq replay [--topic T] [--filter TERM] [--to TOPIC] [--dry-run]';

const OPTIONS: OptionSpec = {
  limit: { type: 'string' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  topic: { type: 'string', multiple: true },
  filter: { type: 'string', multiple: true },
  to: { type: 'string' },
};

export function parseDlqArgs(argv: string[]): DlqArgs {
  const a = parseCommandArgs(argv, OPTIONS, USAGE, { min: 1, max: 1 });
  const action = a.positionals[0];
  if (action !== 'list' && action !== 'replay') throw a.error('expected list or replay');
  const to = a.string('to');
  if (to !== undefined && action !== 'replay') throw a.error('--to applies to replay only');
  return {
    action,
    limit: a.int('limit', 100),
    json: a.flag('json'),
    dryRun: a.flag('dry-run'),
    filter: { topic: a.strings('topic'), terms: parseFilter(a.strings('filter')) },
    ...(to === undefined ? {} : { to }),
  };
}

/** Shows a key as JSON when it is Confluent-framed Avro the registry knows, else hex. */
async function showKey(registry: SchemaRegistry, key: Buffer | null): Promise<string> {
  if (key === null) return '(null)';
  if (key.length > 5 && key[0] === 0) {
    try {
      return JSON.stringify(await registry.decode(key), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('hex') : v));
    } catch {
      // not decodable (that may be why it is here): fall through to hex
    }
  }
  return `0x${key.toString('hex').slice(0, 64)}${key.length > 32 ? '…' : ''}`;
}

const ledgerTopic = (cfg: ToolsConfig) => `${cfg.dlqTopic}.replayed`;
const ledgerKey = (e: DlqEntry) => `${e.dlqPartition}/${e.dlqOffset}`;

async function ensureLedger(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await createTopicsAndWait(admin, [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]);
    }
  } finally {
    await admin.disconnect();
  }
}

export async function runDlq(ctx: CommandContext): Promise<number> {
  const args = parseDlqArgs(ctx.argv);
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  const log = createLogger('dlq', cfg.logLevel, 'stderr');
  const kafka = createKafka(cfg, log, '-dlq');
  const registry = new RegistryHttp(cfg).libraryClient();

  const messages = await readTopicToEnd(kafka, cfg.dlqTopic);
  const replayed = args.action === 'replay' ? new Set((await readTopicToEnd(kafka, ledgerTopic(cfg))).map((m) => m.key?.toString() ?? '')) : new Set<string>();
  const selected: { entry: DlqEntry; key: string }[] = [];
  for (const m of messages) {
    const entry = toDlqEntry({ partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null, headers: m.headers });
    const key = await showKey(registry, entry.key);
    if (!matches(entry, key, args.filter)) continue;
    if (replayed.has(ledgerKey(entry))) continue;
    selected.push({ entry, key });
  }

  if (args.action === 'list') {
    const shown = selected.slice(-args.limit);
    if (args.json) {
      print(
        `${JSON.stringify(
          shown.map(({ entry, key }) => ({ ...entry, key, value: entry.value?.toString('base64') ?? null, originalHeaders: Object.keys(entry.originalHeaders) })),
          null,
          2,
        )}\n`,
      );
    } else {
      print(`${messages.length} record(s) in ${cfg.dlqTopic}; showing ${shown.length}\n`);
      for (const { entry: e, key } of shown) {
        print(`${e.time}  ${e.topic}[${e.partition}]@${e.offset}  ${e.stage}/${e.reason}  key=${key}\n    ${e.errorClass}: ${e.message}\n`);
      }
    }
    return 0;
  }

  if (args.to !== undefined && (args.to === cfg.dlqTopic || args.to === ledgerTopic(cfg))) throw usageError(`--to ${args.to}: not the dead-letter topic or its ledger`, USAGE);
  const sinkTopics = parseTopicSelector(cfg.sinkTopics);
  const consumed = (t: string) => matchTopics(sinkTopics, [t], cfg.dlqTopic).length === 1;
  const withValue = selected.filter(({ entry }) => entry.value !== null && (args.to !== undefined || entry.topic !== undefined));
  const replayable = args.to !== undefined ? withValue : withValue.filter(({ entry }) => consumed(entry.topic!));
  const chosen = new Set(replayable.map((r) => r.entry));
  for (const { entry: e } of withValue)
    if (!chosen.has(e))
      print(`  refused ${e.topic}[${e.partition}]@${e.offset}: ${e.topic} is not a topic the sink consumes (SINK_TOPICS ${cfg.sinkTopics}); use --to TOPIC to choose one\n`);
  const skipped = selected.length - withValue.length;
  const refused = withValue.length - replayable.length;
  print(
    `${replayable.length} record(s) to replay${skipped ? `, ${skipped} without an original topic or value skipped` : ''}${refused ? `, ${refused} refused` : ''}${replayed.size ? `, ${replayed.size} already replayed earlier` : ''}\n`,
  );
  if (args.dryRun || replayable.length === 0) {
    for (const { entry: e, key } of replayable)
      print(`  would replay ${e.topic}[${e.partition}]@${e.offset}${args.to !== undefined ? ` to ${args.to}` : ''} key=${key} (${e.reason})\n`);
    return refused > 0 ? 1 : 0;
  }
  await ensureLedger(kafka, ledgerTopic(cfg));
  const producer = kafka.producer({ transactionalId: `${cfg.sinkGroupId}.dlq-replay`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000 });
  await producer.connect();
  try {
    for (let i = 0; i < replayable.length; i += 500) {
      const chunk = replayable.slice(i, i + 500);
      const tx = await producer.transaction();
      try {
        for (const { entry: e } of chunk) {
          await tx.send({
            topic: args.to ?? e.topic!,
            // The original partition keeps the record in order with its key's other changes (another
            // topic may have other partitions: there the key decides).
            messages: [
              {
                key: e.key,
                value: e.value,
                ...(e.partition !== undefined && args.to === undefined ? { partition: e.partition } : {}),
                headers: { ...e.originalHeaders, [REPLAY_HEADER]: `${cfg.dlqTopic}/${ledgerKey(e)}` },
              },
            ],
          });
        }
        await tx.send({ topic: ledgerTopic(cfg), messages: chunk.map(({ entry: e }) => ({ key: ledgerKey(e), value: new Date().toISOString() })) });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch((abortErr: unknown) => log.error({ err: abortErr }, 'abort failed'));
        throw err;
      }
    }
  } finally {
    await producer.disconnect();
  }
  print(`replayed ${replayable.length} record(s); records that fail again are dead-lettered anew by the sink\n`);
  return refused > 0 ? 1 : 0;
}
