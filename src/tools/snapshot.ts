/**
 * `scylla-pg-cdc snapshot --table KS.T | --list [--json]`: asks the running source to read one
 * table again by token ranges, beside the stream (docs/source.md "On-demand snapshot"), or lists the
 * requests with their progress. The request goes to the source's compacted signals topic; each slot
 * takes its share once and records it in its checkpoint. Progress comes from the running sources'
 * /status (`SOURCE_STATUS_URL`); without one, the requests are listed without it.
 */
import { randomUUID } from 'node:crypto';
import type { CommandContext } from '../cli/command-context.js';
import { parseCommandArgs } from '../cli/args.js';
import { print } from '../cli/output.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadToolsConfig } from '../config/tools-config.js';
import { createKafka } from '../clients/kafka.js';
import { createLogger } from '../log/logger.js';
import { encodeSnapshotRequest, type SnapshotRequest, type SnapshotRequestProgress } from '../source/core/snapshot-request.js';
import { latestRequests, signalsTopicName } from '../source/snapshot-signals.js';
import { ensureSignalsTopic } from '../source/topic-admin.js';
import { readTopicToEnd } from '../clients/topic-reader.js';

const USAGE = 'usage: scylla-pg-cdc snapshot --table KS.T | snapshot --list [--json]';

/**
 * On-demand snapshots with their progress from the first source whose /status answers (every source
 * reads every slot's checkpoints); null when none does.
 */
export async function sourceSnapshots(urls: string[]): Promise<SnapshotRequestProgress[] | null> {
  for (const url of urls) {
    try {
      const res = await fetch(`${url.replace(/\/$/, '')}/status`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return ((await res.json()) as { snapshots?: SnapshotRequestProgress[] }).snapshots ?? [];
    } catch {
      // not running: try the next one
    }
  }
  return null;
}

export function describeProgress(p: SnapshotRequestProgress | undefined): string {
  if (!p) return 'progress unknown (no source answered)';
  if (p.done) return `done: ${p.rangesDone}/${p.ranges} ranges, ${p.slotsDone}/${p.slots} slots`;
  return `in progress: ${p.rangesDone}/${p.ranges} ranges of the ${p.slotsStarted}/${p.slots} slots that started, ${p.slotsDone} slots done`;
}

export async function runSnapshot(ctx: CommandContext): Promise<number> {
  const args = parseCommandArgs(ctx.argv, { table: { type: 'string' }, list: { type: 'boolean' }, json: { type: 'boolean' } }, USAGE);
  const table = args.string('table');
  const list = args.flag('list');
  if ((table === undefined) === !list) throw args.error('give either --table KS.T or --list');
  if (table !== undefined && args.flag('json')) throw args.error('--json goes with --list');
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  if (table !== undefined && !(cfg.scyllaTables ?? []).includes(table)) {
    throw args.error(`table "${table}" is not in SCYLLA_TABLES (${(cfg.scyllaTables ?? []).join(',') || 'unset'}): the source snapshots only the tables it replicates`);
  }
  const log = createLogger('snapshot', cfg.logLevel, 'stderr');
  const kafka = createKafka(cfg, log, '-snapshot');
  const topic = signalsTopicName(cfg.sourceName);
  if (list) {
    const requests = [...latestRequests(await readTopicToEnd(kafka, topic)).values()].sort((a, b) => a.requestedAtMs - b.requestedAtMs);
    const progress = new Map(((await sourceSnapshots(cfg.sourceStatusUrl)) ?? []).map((p) => [p.id, p]));
    if (args.flag('json')) {
      print(
        `${JSON.stringify(
          requests.map((r) => ({ id: r.id, table: r.table, requestedAt: new Date(r.requestedAtMs).toISOString(), progress: progress.get(r.id) ?? null })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (requests.length === 0) print(`no snapshot requests (${topic})\n`);
    for (const r of requests) print(`${r.table}  requested ${new Date(r.requestedAtMs).toISOString()}  id ${r.id}  ${describeProgress(progress.get(r.id))}\n`);
    return 0;
  }
  const req: SnapshotRequest = { v: 1, id: randomUUID(), table: table!, requestedAtMs: Date.now() };
  const admin = kafka.admin();
  await admin.connect();
  try {
    // a source creates it on start (with KAFKA_TOPIC_REPLICATION); before any did, the broker's default
    if (!(await admin.listTopics()).includes(topic)) await ensureSignalsTopic(admin, cfg.sourceName, undefined);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: req.table, value: encodeSnapshotRequest(req) }] });
  } finally {
    await producer.disconnect();
  }
  print(`snapshot of ${req.table} requested (id ${req.id}); follow it with \`scylla-pg-cdc snapshot --list\` or \`scylla-pg-cdc status\`\n`);
  return 0;
}
