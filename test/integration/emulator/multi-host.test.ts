// Point 12 of the fidelity issue: the emulator served as three hosts (127.0.0.1–3, one port).
// The driver learns the other two from system.peers, builds a token map from the hosts' tokens,
// routes prepared statements to the owning host, and keeps working when one host goes away.
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../support/scylla-emulator/index.js';

let emu: EmulatorHandle;
let client: cassandra.Client;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 16, hosts: 3, vnodes: 6 });
  // Peers are reached on protocolOptions.port (the driver does not reuse the contact point's port).
  client = new cassandra.Client({ contactPoints: [emu.contactPoint], localDataCenter: 'datacenter1', protocolOptions: { port: emu.port } });
  await client.connect();
  await client.execute("CREATE KEYSPACE mh WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  await client.execute('CREATE TABLE mh.t (pk int PRIMARY KEY, v int)');
});
afterAll(async () => {
  await client.shutdown();
  await emu.close();
});

describe('three hosts', () => {
  it('system.peers lists the other two hosts from each host; tokens are split between them', async () => {
    expect(client.hosts.length).toBe(3);
    expect(
      client.hosts
        .keys()
        .map((a: string) => a.split(':')[0])
        .sort(),
    ).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    const all = emu.engine.hosts.flatMap((h) => h.tokens);
    expect(new Set(all).size).toBe(all.length);
    for (const h of emu.engine.hosts) expect(h.tokens.length).toBe(2);
  });

  it('NetworkTopologyStrategy replication_factor is expanded to the datacenter (cql3/statements/ks_prop_defs.cc prepare_options), so drivers place 2 replicas', async () => {
    await client.execute("CREATE KEYSPACE mh_nts WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 2}");
    const row = (await client.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'mh_nts'")).rows[0]!;
    expect(row['replication']).toEqual({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', datacenter1: '2' });
    await client.metadata.refreshKeyspace('mh_nts');
    const b = Buffer.alloc(4);
    b.writeInt32BE(7);
    expect(client.getReplicas('mh_nts', b)).toHaveLength(2);
  });

  it('traceReads notes each partition-key read with the host that served it and the tokens it names', async () => {
    const reads = emu.traceReads((ks, t) => ks === 'mh' && t === 't');
    const key = (pk: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(pk);
      return b;
    };
    const tokenOf = (pk: number) => BigInt(String((client.metadata as unknown as { tokenizer: { hash(b: Buffer): unknown } }).tokenizer.hash(key(pk))));
    const owner = (pk: number) => Number(client.getReplicas('mh', key(pk))[0]!.address.split(':')[0]!.split('.')[3]) - 1;
    await client.execute('SELECT v FROM mh.t WHERE pk IN (1, 2)', [], { prepare: false });
    await client.execute('SELECT v FROM mh.t', [], { prepare: false }); // a scan names no partition: not noted
    expect(reads.map((r) => r.tokens)).toEqual([[tokenOf(1), tokenOf(2)]]);
    // prepared reads are routed by the driver to the owner of the key's token: the trace names that host
    reads.length = 0;
    for (let pk = 0; pk < 30; pk++) await client.execute('SELECT v FROM mh.t WHERE pk = ?', [pk], { prepare: true });
    expect(reads.map((r) => [r.tokens, r.host])).toEqual([...Array(30).keys()].map((pk) => [[tokenOf(pk)], owner(pk)]));
    expect(new Set(reads.map((r) => r.host)).size).toBe(3);
  });

  it('prepared reads by partition key go to the host owning the token, and survive that host going away', async () => {
    const q = 'SELECT v FROM mh.t WHERE pk = ?';
    // The replica the driver computes from the hosts' tokens (the routing key of an int is its 4 bytes).
    const owner = (pk: number): string => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(pk);
      return client.getReplicas('mh', b)[0]!.address.split(':')[0]!;
    };
    for (let pk = 0; pk < 30; pk++) await client.execute('INSERT INTO mh.t (pk, v) VALUES (?, ?)', [pk, pk], { prepare: true });
    const byHost = new Map<string, number[]>();
    for (let pk = 0; pk < 30; pk++) {
      const o = owner(pk);
      byHost.set(o, [...(byHost.get(o) ?? []), pk]);
    }
    expect(byHost.size).toBe(3);
    for (const [addr, pks] of byHost) {
      const i = Number(addr.split('.')[3]) - 1;
      const before = emu.servers.map((s) => s.executeCount);
      for (const pk of pks) expect((await client.execute(q, [pk], { prepare: true })).rows[0]!['v']).toBe(pk);
      const delta = emu.servers.map((s, j) => s.executeCount - before[j]!);
      expect(delta[i]).toBe(pks.length);
      expect(delta.reduce((a, b) => a + b, 0)).toBe(pks.length);
    }
    // Host 2 goes away: its keys are still read, by the other two hosts. A read caught on the
    // closing socket is retried elsewhere because it is idempotent (the source marks its reads so).
    await emu.stopHost(1);
    const before = emu.servers.map((s) => s.executeCount);
    for (let pk = 0; pk < 30; pk++) expect((await client.execute(q, [pk], { prepare: true, isIdempotent: true })).rows[0]!['v']).toBe(pk);
    const delta = emu.servers.map((s, j) => s.executeCount - before[j]!);
    expect(delta[0]! + delta[2]!).toBe(30);
  });
});
