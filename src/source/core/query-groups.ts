/**
 * Which units one log query may read together. One query per unit (a vnode's shard streams, or
 * one tablet stream) would be 25,600 queries per window with 25,600 vnodes,
 * nearly all of them answering "nothing" while the cluster is idle. Units whose streams have the
 * same replicas can share one `"cdc$stream_id" IN (…)` query: every partition it names is local to
 * whichever of those replicas serves it, so the query never fans out. ScyllaDB refuses an IN list
 * longer than `max_partition_key_restrictions_per_query` (db/config.cc, default 100), hence the cap.
 * A unit is never split; units keep their order, so results are emitted in the same order.
 */
export interface GroupableUnit {
  streams: readonly unknown[];
}

/**
 * Groups of unit indices: consecutive units with the same key, at most `maxStreams` streams per
 * group (a unit larger than that alone). A null key (replicas unknown) never shares a query.
 */
export function queryGroups(units: readonly GroupableUnit[], keyOf: (i: number) => string | null, maxStreams: number): number[][] {
  const groups: number[][] = [];
  const open = new Map<string, { members: number[]; streams: number }>();
  for (let i = 0; i < units.length; i++) {
    const n = units[i]!.streams.length;
    const key = keyOf(i);
    if (key === null || n >= maxStreams) {
      groups.push([i]);
      continue;
    }
    let g = open.get(key);
    if (g && g.streams + n > maxStreams) g = undefined;
    if (!g) {
      g = { members: [], streams: 0 };
      open.set(key, g);
      groups.push(g.members);
    }
    g.members.push(i);
    g.streams += n;
  }
  return groups;
}
