// system_distributed.cdc_streams_descriptions_v2 derived from the generations' rings: one
// partition per generation (key `time`), one row per vnode range (clustering `range_end`) holding
// the range's shard streams as a frozen set<blob>, as ScyllaDB writes it
// (db/system_distributed_keyspace.cc `get_cdc_streams_descriptions_v2_mutation`). A 25,600-vnode
// generation is one partition of 25,600 rows; readers page through it.
import type { TableDef } from '../schema/catalog.js';
import { murmur3Token, partitionKeyBytes } from '../murmur3.js';
import { encodeJs } from '../storage/js-values.js';
import { NO_TS, type Row } from '../storage/table-store.js';
import type { DerivedSource } from '../storage/derived-store.js';
import { streamsOfVnode, type Ring } from './ring.js';

interface GenerationLike {
  ts: number;
  ring: Ring;
}

export function descriptionSource(table: TableDef, generations: () => readonly GenerationLike[]): DerivedSource {
  const timeCol = table.byName.get('time')!;
  const endCol = table.byName.get('range_end')!;
  const streamsCol = table.byName.get('streams')!;
  const keyOf = (g: GenerationLike): { key: string; pk: Buffer[]; token: bigint } => {
    const pk = [encodeJs(timeCol.type, new Date(g.ts))!];
    const bytes = partitionKeyBytes(pk);
    return { key: bytes.toString('latin1'), pk, token: murmur3Token(bytes) };
  };
  return {
    keys() {
      const out = new Map<string, { pk: Buffer[]; token: bigint }>();
      for (const g of generations()) {
        const k = keyOf(g);
        out.set(k.key, { pk: k.pk, token: k.token });
      }
      return out;
    },
    rows(key) {
      const g = generations().find((x) => keyOf(x).key === key);
      if (!g) return null;
      const ts = g.ts * 1000;
      const rows: Row[] = [];
      const tokens = g.ring.tokens;
      for (let i = 0; i < tokens.length; i++) {
        const cells: Row['cells'] = [];
        cells[streamsCol.ordinal] = { v: encodeJs(streamsCol.type, streamsOfVnode(g.ring, i)), ts, exp: 0, ttl: 0 };
        rows.push({ ck: [encodeJs(endCol.type, tokens[i]!)!], mts: ts, mexp: 0, mttl: 0, del: NO_TS, cells });
      }
      return rows;
    },
  };
}
