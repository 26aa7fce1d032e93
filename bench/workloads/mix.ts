import type { Change, Row, Workload } from './types.js';
import { BASE_TIME_MS, prng, uuidFrom } from './types.js';
import { userRow, usersColumns } from './users.js';

const STATUSES = ['active', 'inactive', 'pending', 'banned'];

/**
 * users-shaped mix: 60 % inserts of new keys, 30 % partial updates (status, updated_at, seq only)
 * of a live key, 10 % deletes of a live key. Updates and deletes pick recent keys more often, so
 * one batch regularly holds several changes of one key (what dedup and ordering must handle).
 */
export const mix: Workload = {
  name: 'mix',
  table: 'users_mix',
  description: '60% inserts, 30% partial updates (3 of 6 columns), 10% deletes on users-shaped rows',
  columns: usersColumns,
  generate(n, seed = 3) {
    const rand = prng(seed);
    const out: Change[] = [];
    const live: Row[] = [];
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (live.length < 100 || r < 0.6) {
        const key = { user_id: uuidFrom(rand) };
        live.push(key);
        out.push({ seq: i, op: 'c', key, cells: userRow(rand, i) });
        continue;
      }
      // Recent keys are hotter: half of the picks come from the last 1000 live keys.
      const window = rand() < 0.5 ? Math.min(1000, live.length) : live.length;
      const idx = live.length - 1 - Math.floor(rand() * window);
      const key = live[idx]!;
      if (r < 0.9) {
        out.push({
          seq: i,
          op: 'u',
          key,
          cells: { status: STATUSES[Math.floor(rand() * STATUSES.length)], updated_at: new Date(BASE_TIME_MS + i * 1000), seq: i },
        });
      } else {
        live[idx] = live[live.length - 1]!;
        live.pop();
        out.push({ seq: i, op: 'd', key, cells: null });
      }
    }
    return out;
  },
};
