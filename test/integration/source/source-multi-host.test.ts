/**
 * The source against three hosts (the emulator on 127.0.0.1–3, one port, each owning every third
 * vnode token; keyspace replicated twice with SimpleStrategy, reads at ONE):
 *
 * - every CDC log read goes to a replica of the streams it names. The log table's partitioner is
 *   the CDC partitioner (token = first 8 bytes of the stream id, ScyllaDB cdc/cdc_partitioner.cc),
 *   which cdc-partitioner-policy.ts applies; the replicas are computed here from the hosts' tokens
 *   the way SimpleStrategy places them (locator/simple_strategy.cc: the token's owner, then the
 *   next distinct hosts clockwise), independently of the driver. A table in a second keyspace with
 *   one replica shows the reads going to exactly the token's owner (checked while all hosts are up:
 *   with one replica, a lost host's streams cannot be read on a real cluster).
 * - the host the source was given as contact point (and held its control connection) goes away
 *   mid-stream while writes go on through another host: every change reaches Kafka exactly once
 *   (counted per change id on the read_committed topics), changes written after the loss included,
 *   and the log reads after it go to the surviving replicas.
 */
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { sourceQueries } from '../../../src/metrics/source-metrics.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { startEmulator, type PartitionRead } from '../../support/scylla-emulator/index.js';
import { TopicTail, Writer, ledgerProblems, readToHighWatermark } from './change-ledger.js';
import { kafkaClient, sourceConfig, uniqueKs, waitFor } from './harness.js';

const RF = 2;

/** SimpleStrategy placement: the first host token at or after `t` (wrapping), then the next distinct hosts. */
function replicaFinder(hosts: { tokens: string[] }[], rf = RF): (t: bigint) => number[] {
  const ring = hosts.flatMap((h, host) => h.tokens.map((tok) => ({ t: BigInt(tok), host }))).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  return (t) => {
    const first = Math.max(
      0,
      ring.findIndex((e) => e.t >= t),
    );
    const out: number[] = [];
    for (let k = 0; k < ring.length && out.length < rf; k++) {
      const h = ring[(first + k) % ring.length]!.host;
      if (!out.includes(h)) out.push(h);
    }
    return out;
  };
}

const perHost = (reads: PartitionRead[]) => [0, 1, 2].map((h) => reads.filter((r) => r.host === h).length);
/** Log queries that failed after the driver's own retries, as the source counts them (for the report line). */
const failedQueries = async () => (await sourceQueries.get()).values.filter((v) => v.labels.outcome === 'error').reduce((n, v) => n + v.value, 0);

describe('three hosts', () => {
  it('log reads go to a replica of their streams; losing the contact host mid-stream loses and repeats nothing', async () => {
    const emu = await startEmulator({ port: 0, seed: 31, hosts: 3, vnodes: 12, shards: 2 });
    // The test's own writes go through 127.0.0.3 only, so they are not what the host loss disturbs.
    const writerHost = `127.0.0.3:${emu.port}`;
    const cql = new cassandra.Client({
      contactPoints: [writerHost],
      localDataCenter: 'datacenter1',
      protocolOptions: { port: emu.port },
      policies: { loadBalancing: new cassandra.policies.loadBalancing.AllowListPolicy(new cassandra.policies.loadBalancing.DCAwareRoundRobinPolicy('datacenter1'), [writerHost]) },
    });
    await cql.connect();
    let svc: SourceService | undefined;
    const writer = { current: undefined as Writer | undefined };
    let tail: TopicTail | undefined;
    try {
      const ks = uniqueKs();
      await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':${RF}}`);
      await cql.execute(`CREATE TABLE ${ks}.users (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
      await cql.execute(`CREATE TABLE ${ks}.orders (id int, line int, v text, PRIMARY KEY ((id), line)) WITH cdc = {'enabled': true}`);
      // A table in a keyspace with one replica: its log reads must go to exactly the token's owner.
      const solo = `${ks}_rf1`;
      await cql.execute(`CREATE KEYSPACE ${solo} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
      await cql.execute(`CREATE TABLE ${solo}.t (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
      const traced = emu.traceReads((k, t) => (k === ks || k === solo) && t.endsWith('_scylla_cdc_log'));
      const ofKs = (list: PartitionRead[], k: string) => list.filter((r) => r.keyspace === k);
      // The contact point is 127.0.0.1 on the emulator's port: the source must find the other two.
      const cfg = sourceConfig(emu, [`${ks}.users`, `${ks}.orders`, `${solo}.t`], { SCYLLA_CONSISTENCY: 'ONE' });
      svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
      await svc.start();
      const topics = new Map(['users', 'orders'].map((t) => [topicFor(cfg.kafkaTopicTemplate, ks, t), t]));
      tail = new TopicTail(kafkaClient(), topics);
      await tail.start();
      const w = new Writer(cql, ks, 'mh', 40);
      writer.current = w;
      w.start();

      // Streaming on all three hosts first.
      await waitFor(() => (tail!.seen.length >= 120 && perHost(ofKs(traced, ks)).every((n) => n > 0) ? true : undefined), 60_000, 'changes read from all three hosts');
      const lossAt = traced.length;
      const failedBefore = await failedQueries();
      await emu.stopHost(0);
      const lostAt = Date.now();
      // Writes go on; the source must carry on with the hosts left.
      await waitFor(() => (w.writes.filter((x) => x.atMs > lostAt + 3_000).length >= 60 ? true : undefined), 60_000, 'writes after the host loss');
      await w.stop();
      await waitFor(() => (tail!.hasAll(w.writes) ? true : undefined), 60_000, 'every write in Kafka');
      const firstAfter = tail.firstChangeArrival(w.writes, lostAt);

      const records = await readToHighWatermark(kafkaClient(), topics);
      const problems = ledgerProblems(w.writes, records);
      expect({ missing: problems.missing.slice(0, 10), duplicated: problems.duplicated.slice(0, 10), unexpected: problems.unexpected.slice(0, 10) }).toEqual({
        missing: [],
        duplicated: [],
        unexpected: [],
      });
      expect(records.length).toBe(w.writes.length);

      const replicas = replicaFinder(emu.engine.hosts);
      const owner = replicaFinder(emu.engine.hosts, 1);
      const reads = ofKs(traced, ks);
      const before = ofKs(traced.slice(0, lossAt), ks).length;
      const misrouted = reads.filter((r) => r.tokens.some((t) => !replicas(t).includes(r.host)));
      const after = reads.slice(before);
      // One replica: while its owner was up, every read of that keyspace went to exactly the owner.
      const soloBefore = ofKs(traced.slice(0, lossAt), solo);
      expect(soloBefore.length).toBeGreaterThan(0);
      expect(
        soloBefore
          .filter((r) => r.tokens.some((t) => owner(t)[0] !== r.host))
          .map((r) => ({ host: r.host, owners: r.tokens.map((t) => owner(t)[0]) }))
          .slice(0, 5),
      ).toEqual([]);
      process.stderr.write(
        `[multi-host] ${w.writes.length} writes; log reads per host before the loss ${JSON.stringify(perHost(reads.slice(0, before)))}, after ${JSON.stringify(perHost(after))}; ` +
          `first change written after the loss arrived ${firstAfter === undefined ? '-' : firstAfter - lostAt} ms after it; ` +
          `source queries failed (after driver retries) ${failedBefore} before, ${(await failedQueries()) - failedBefore} after\n`,
      );
      expect(misrouted.map((r) => ({ host: r.host, tokens: r.tokens.map(String), replicas: r.tokens.map((t) => replicas(t)) })).slice(0, 5)).toEqual([]);
      // Spread over both replicas, not only the token's first one (the driver knows the keyspace's RF).
      expect(reads.slice(0, before).filter((r) => replicas(r.tokens[0]!)[0] !== r.host).length).toBeGreaterThan(0);
      // After the loss the reads went on, from hosts 2 and 3 only, covering host 1's streams too.
      expect(perHost(after)[0]).toBe(0);
      expect(after.length).toBeGreaterThan(0);
      expect(after.some((r) => r.tokens.some((t) => replicas(t).includes(0)))).toBe(true);
      expect(svc.notReadyReasons()).toEqual([]);
    } finally {
      await writer.current?.stop().catch(() => undefined);
      await tail?.stop();
      await svc?.stop();
      await cql.shutdown();
      await emu.close();
    }
  }, 180_000);
});
