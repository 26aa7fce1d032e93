import type { Change, Workload } from './types.js';
import { BASE_TIME_MS, prng, uuidFrom, word } from './types.js';

const STATUSES = ['active', 'inactive', 'pending', 'banned'];

export function userRow(rand: () => number, i: number): Record<string, unknown> {
  const name = `${word(rand)}_${i}`;
  return {
    username: name,
    email: `${name}@example.com`,
    status: STATUSES[Math.floor(rand() * STATUSES.length)],
    created_at: new Date(BASE_TIME_MS + i * 1000),
    updated_at: new Date(BASE_TIME_MS + i * 1000),
    seq: i,
  };
}

export const usersColumns: Workload['columns'] = [
  { name: 'user_id', cql: 'uuid', kind: 'partition_key' },
  { name: 'username', cql: 'text', kind: 'regular' },
  { name: 'email', cql: 'text', kind: 'regular' },
  { name: 'status', cql: 'text', kind: 'regular' },
  { name: 'created_at', cql: 'timestamp', kind: 'regular' },
  { name: 'updated_at', cql: 'timestamp', kind: 'regular' },
  { name: 'seq', cql: 'bigint', kind: 'regular' },
];

/** app_data.users-shaped inserts: uuid key, short texts, timestamps; every change a new row. */
export const users: Workload = {
  name: 'users',
  table: 'users',
  description: 'inserts of new users rows (uuid key, 3 short texts, 2 timestamps, bigint)',
  columns: usersColumns,
  generate(n, seed = 1) {
    const rand = prng(seed);
    const out: Change[] = [];
    for (let i = 0; i < n; i++) out.push({ seq: i, op: 'c', key: { user_id: uuidFrom(rand) }, cells: userRow(rand, i) });
    return out;
  },
};
