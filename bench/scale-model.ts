/**
 * npx tsx bench/scale-model.ts [--seed N]
 *
 * How many log queries one window of every slot costs on a cluster of N nodes × 256 vnodes × 8
 * shards, counted with the source's own grouping (src/source/core/query-groups.ts) on a simulated
 * ring: random tokens per vnode (ScyllaDB's default without a token allocator), replicas of a vnode
 * range = its owner and the next distinct nodes clockwise (SimpleStrategy, and
 * NetworkTopologyStrategy in one DC and one rack), units dealt to slots in ring order (unit i to
 * slot i % slots, core/generation-plan.ts). The emulator's bench ring has one host, so all its
 * units share one replica set; this says how far a real RF 3 ring is from that. docs/scale.md
 * quotes the output. Pure arithmetic: no cluster, no process.
 */
import { parseArgs } from 'node:util';
import { queryGroups } from '../src/source/core/query-groups.js';

const { values: args } = parseArgs({ options: { seed: { type: 'string', default: '1' } } });

const VNODES = 256;
const SHARDS = 8;
const STREAMS_PER_QUERY = 100;

/** splitmix64: a seeded 64-bit generator, so the table is reproducible. */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  };
}

interface Ring {
  owner: number[];
}

function ring(nodes: number, seed: bigint): Ring {
  const next = rng(seed);
  const t: { token: bigint; node: number }[] = [];
  for (let n = 0; n < nodes; n++) for (let v = 0; v < VNODES; v++) t.push({ token: BigInt.asIntN(64, next()), node: n });
  t.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
  return { owner: t.map((x) => x.node) };
}

/** The replica set of each vnode range: its owner and the next rf − 1 distinct nodes clockwise. */
function replicaKeys(r: Ring, rf: number): string[] {
  const n = r.owner.length;
  return r.owner.map((_, i) => {
    const set: number[] = [];
    for (let j = i; set.length < rf && j < i + n; j++) {
      const node = r.owner[j % n]!;
      if (!set.includes(node)) set.push(node);
    }
    return set.sort((a, b) => a - b).join(',');
  });
}

function groupsPerWindow(keys: string[], slots: number): number {
  const unit = { streams: new Array<number>(SHARDS).fill(0) };
  let total = 0;
  for (let s = 0; s < slots; s++) {
    const mine = keys.filter((_, i) => i % slots === s);
    total += queryGroups(
      mine.map(() => unit),
      (i) => mine[i]!,
      STREAMS_PER_QUERY,
    ).length;
  }
  return total;
}

const rows: string[][] = [
  ['nodes', 'units (vnode ranges)', 'streams', 'slots', 'one replica set (emulator)', 'RF 3: same replica set (built)', 'RF 3: same first replica (not built)'],
];
for (const [nodes, slots] of [
  [10, 16],
  [100, 16],
  [1000, 16],
  [1000, 256],
] as const) {
  const r = ring(nodes, BigInt(args.seed!) * 1_000_003n + BigInt(nodes));
  const units = r.owner.length;
  const one = groupsPerWindow(
    r.owner.map(() => 'all'),
    slots,
  );
  const rf3 = groupsPerWindow(replicaKeys(r, Math.min(3, nodes)), slots);
  const first = groupsPerWindow(
    r.owner.map((o) => String(o)),
    slots,
  );
  rows.push([nodes, units, units * SHARDS, slots, one, rf3, first].map((x) => x.toLocaleString('en-US')));
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) process.stdout.write(`| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |\n`);
process.stdout.write('\nqueries per window of every slot (one window per slot); idle, a slot polls about twice a second\n');
