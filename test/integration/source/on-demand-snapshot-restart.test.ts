/**
 * On-demand and initial snapshots across restarts: a source killed (-9) in the middle of an
 * on-demand snapshot resumes it under the same request and start time, every row goes out exactly
 * once; a table added to SCYLLA_TABLES on a restart is snapshotted alone (SNAPSHOT_MODE=initial),
 * the tables already replicated are not read again.
 */
import { describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { createLogger } from '../../../src/log/logger.js';
import type { SlotCheckpoint } from '../../../src/source/core/checkpoint.js';
import type { SnapshotRequestProgress } from '../../../src/source/core/snapshot-request.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { runSnapshot } from '../../../src/tools/snapshot.js';
import { runStatus } from '../../../src/tools/status.js';
import { readTopicToEnd } from '../../../src/clients/topic-reader.js';
import { freePort } from '../../helpers/free-port.js';
import { kill9, spawnSource } from './child.js';
import { decode, emulator, kafkaClient, sourceConfig, uniqueKs, waitFor } from './harness.js';
import { checkpointHistory, cli, cliEnv } from './snapshot-helpers.js';

interface SourceStatus {
  ready: boolean;
  checkpoints: SlotCheckpoint[];
  snapshots: SnapshotRequestProgress[];
  workers: { tables: { table: string; snapshot: { done: boolean } | null }[] }[];
}
const statusOf = async (port: number): Promise<SourceStatus | undefined> => {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as SourceStatus;
  } catch {
    return undefined; // not up yet
  }
};

/** The op and key id of every committed record of `topic`, read to its end. */
async function committed(topic: string): Promise<{ op: string; id: number }[]> {
  const out: { op: string; id: number }[] = [];
  for (const m of await readTopicToEnd(kafkaClient(), topic)) out.push({ op: ((await decode(m.value!)) as { op: string }).op, id: (await decode(m.key!))['id'] as number });
  return out;
}

async function setup(tables: string[]): Promise<{ emu: Awaited<ReturnType<typeof emulator>>['emu']; cql: cassandra.Client; ks: string }> {
  const { emu, cql } = await emulator();
  const ks = uniqueKs();
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
  for (const t of tables) await cql.execute(`CREATE TABLE ${ks}.${t} (id int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
  return { emu, cql, ks };
}
const insert = async (cql: cassandra.Client, table: string, from: number, count: number) => {
  for (let i = from; i < from + count; i++) await cql.execute(`INSERT INTO ${table} (id, v) VALUES (?, ?)`, [i, i], { prepare: true });
};

describe('on-demand snapshot across restarts', () => {
  it('a source killed mid-snapshot resumes it (same request, same start) and emits every row once', async () => {
    const { emu, cql, ks } = await setup(['a', 'b']);
    const children: ReturnType<typeof spawnSource>[] = [];
    try {
      const OLD = 4000;
      await insert(cql, `${ks}.a`, 0, OLD);
      await new Promise((r) => setTimeout(r, 1_000));
      const tables = [`${ks}.a`, `${ks}.b`];
      const cfg = sourceConfig(emu, tables, { SOURCE_MAX_BATCH_RECORDS: '5' });
      const env = { CDC_START: 'now', SNAPSHOT_MODE: 'never' };
      const port1 = await freePort();
      children.push(spawnSource(cfg, { ...env, METRICS_PORT: String(port1) }));
      await waitFor(async () => (await statusOf(port1))?.ready === true, 90_000, 'first source streaming');

      await cli(runSnapshot, ['--table', `${ks}.a`], cliEnv(tables, cfg.sourceName));
      // Kill once some slot is part-way through its share (a partition emitted, the share unfinished).
      const atKill = await waitFor(
        async () => {
          const cps = (await statusOf(port1))?.checkpoints.filter((c) => c.table === `${ks}.a` && c.snapshot?.requestId !== undefined) ?? [];
          return cps.some((c) => !c.snapshot!.done && (c.snapshot!.rangePos > 0 || c.snapshot!.afterToken !== null)) ? cps : undefined;
        },
        90_000,
        'a slot part-way through the snapshot',
      );
      await kill9(children[0]!);
      const id = atKill[0]!.snapshot!.requestId!;

      await insert(cql, `${ks}.b`, 0, 10); // the stream goes on after the restart
      const port2 = await freePort();
      children.push(spawnSource(cfg, { ...env, METRICS_PORT: String(port2) }));
      await waitFor(async () => (await statusOf(port2))?.snapshots.find((s) => s.id === id)?.done === true, 180_000, 'the snapshot done after the restart');

      // Resumed, not restarted: each slot's share kept its start time, and no slot took the request twice.
      const history = await checkpointHistory(cfg.sourceName, `${ks}.a`);
      for (const killed of atKill) {
        const starts = new Set(history.filter((c) => c.slot === killed.slot && c.snapshot?.requestId === id).map((c) => c.snapshot!.startMs));
        expect([...starts]).toEqual([killed.snapshot!.startMs]);
      }
      // Every old row exactly once as a snapshot record (a restarted share would repeat its first rows).
      const recs = await committed(topicFor(cfg.kafkaTopicTemplate, ks, 'a'));
      const snapIds = recs.filter((r) => r.op === 'r').map((r) => r.id);
      expect(snapIds.length).toBe(OLD);
      expect(new Set(snapIds).size).toBe(OLD);
      await waitFor(async () => (await committed(topicFor(cfg.kafkaTopicTemplate, ks, 'b'))).length >= 10, 60_000, 'b streamed after the restart');

      // The operator's view: `snapshot --list` and `status --json` show it done.
      const url = `http://127.0.0.1:${port2}`;
      expect(await cli(runSnapshot, ['--list'], cliEnv(tables, cfg.sourceName, url))).toMatch(new RegExp(`${ks}\\.a .*id ${id}  done: (\\d+)/\\1 ranges, 4/4 slots`));
      const status = JSON.parse(await cli(runStatus, ['--json'], cliEnv(tables, cfg.sourceName, url))) as { snapshots: SnapshotRequestProgress[] };
      expect(status.snapshots).toEqual([expect.objectContaining({ id, table: `${ks}.a`, done: true, slotsDone: 4 })]);
    } finally {
      for (const c of children) await kill9(c);
      await cql.shutdown();
      await emu.close();
    }
  }, 420_000);

  it('a table added to SCYLLA_TABLES on a restart is snapshotted alone (SNAPSHOT_MODE=initial)', async () => {
    const { emu, cql, ks } = await setup(['a', 'c']);
    let svc: SourceService | undefined;
    try {
      await insert(cql, `${ks}.a`, 0, 20);
      // older than the confidence window when the snapshot starts: read by the snapshot only, not also streamed
      await new Promise((r) => setTimeout(r, 1_000));
      const cfg1 = sourceConfig(emu, [`${ks}.a`], { SNAPSHOT_MODE: 'initial' });
      const topicA = topicFor(cfg1.kafkaTopicTemplate, ks, 'a');
      const topicC = topicFor(cfg1.kafkaTopicTemplate, ks, 'c');
      svc = new SourceService(cfg1, createLogger('source', cfg1.logLevel));
      await svc.start();
      await waitFor(() => svc!.ready() || undefined, 90_000, 'first source streaming');
      await waitFor(async () => ((await committed(topicA)).length >= 20 ? true : undefined), 60_000, 'a snapshotted');
      const aCheckpoints = () => (svc!.status() as SourceStatus).checkpoints.filter((c) => c.table === `${ks}.a` && c.snapshot?.done === true);
      await waitFor(() => aCheckpoints().length === 4 || undefined, 30_000, "every slot's checkpoint of a committed and read back");
      const firstStarts = aCheckpoints().map((c) => [c.slot, c.snapshot?.startMs]);
      await svc.stop();

      await insert(cql, `${ks}.c`, 0, 30);
      await insert(cql, `${ks}.a`, 100, 5);
      const cfg2 = sourceConfig(emu, [`${ks}.a`, `${ks}.c`], { SNAPSHOT_MODE: 'initial', SOURCE_NAME: cfg1.sourceName, KAFKA_TOPIC_TEMPLATE: cfg1.kafkaTopicTemplate });
      svc = new SourceService(cfg2, createLogger('source', cfg2.logLevel));
      await svc.start();
      await waitFor(() => svc!.ready() || undefined, 90_000, 'second source streaming both tables');
      await waitFor(async () => ((await committed(topicC)).length >= 30 && (await committed(topicA)).length >= 25 ? true : undefined), 60_000, 'c snapshotted, a streamed');

      const c = await committed(topicC);
      expect(
        c
          .filter((r) => r.op === 'r')
          .map((r) => r.id)
          .sort((x, y) => x - y),
      ).toEqual([...Array(30).keys()]);
      // a was not read again: still its 20 snapshot rows, and the 5 new rows as changes
      const a = await committed(topicA);
      expect(a.filter((r) => r.op === 'r')).toHaveLength(20);
      expect(
        a
          .filter((r) => r.op === 'c')
          .map((r) => r.id)
          .sort((x, y) => x - y),
      ).toEqual([100, 101, 102, 103, 104]);
      // c: every slot ran its own initial snapshot, started after a's; a: the same snapshots as before the restart
      const cOf = () => (svc!.status() as SourceStatus).checkpoints.filter((x) => x.table === `${ks}.c` && x.snapshot?.done === true);
      await waitFor(() => cOf().length === 4 || undefined, 30_000, "every slot's checkpoint of c");
      expect(cOf().every((x) => x.snapshot!.startMs > Math.max(...firstStarts.map((s) => s[1]!)))).toBe(true);
      const cps = (svc.status() as SourceStatus).checkpoints;
      expect(
        cps
          .filter((x) => x.table === `${ks}.a`)
          .map((x) => [x.slot, x.snapshot?.startMs])
          .sort(),
      ).toEqual(firstStarts.sort());
    } finally {
      await svc?.stop();
      await cql.shutdown();
      await emu.close();
    }
  }, 300_000);
});
