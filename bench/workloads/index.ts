import type { Workload } from './types.js';
import { users } from './users.js';
import { orders } from './orders.js';
import { mix } from './mix.js';
import { wide } from './wide.js';
import { collections } from './collections.js';

export const WORKLOADS: Record<string, Workload> = { users, orders, mix, wide, collections };

export function workloadByName(name: string): Workload {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload "${name}" (one of ${Object.keys(WORKLOADS).join(', ')})`);
  return w;
}
