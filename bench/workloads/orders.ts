import type { Change, Workload } from './types.js';
import { BASE_TIME_MS, prng, uuidFrom } from './types.js';

const STATUSES = ['new', 'paid', 'shipped', 'delivered', 'cancelled'];
const PER_CUSTOMER = 10;

/** app_data.orders-shaped inserts: partition key customer_id + clustering key order_id, ~10 rows per partition. */
export const orders: Workload = {
  name: 'orders',
  table: 'orders',
  description: `inserts into (customer_id uuid, order_id bigint) partitions of ${PER_CUSTOMER} rows; amount, status, timestamps`,
  columns: [
    { name: 'customer_id', cql: 'uuid', kind: 'partition_key' },
    { name: 'order_id', cql: 'bigint', kind: 'clustering' },
    { name: 'amount', cql: 'double', kind: 'regular' },
    { name: 'currency', cql: 'text', kind: 'regular' },
    { name: 'status', cql: 'text', kind: 'regular' },
    { name: 'quantity', cql: 'int', kind: 'regular' },
    { name: 'order_date', cql: 'timestamp', kind: 'regular' },
    { name: 'seq', cql: 'bigint', kind: 'regular' },
  ],
  generate(n, seed = 2) {
    const rand = prng(seed);
    const out: Change[] = [];
    let customer = uuidFrom(rand);
    for (let i = 0; i < n; i++) {
      if (i % PER_CUSTOMER === 0) customer = uuidFrom(rand);
      out.push({
        seq: i,
        op: 'c',
        key: { customer_id: customer, order_id: i },
        cells: {
          amount: Math.round(rand() * 100000) / 100,
          currency: 'EUR',
          status: STATUSES[Math.floor(rand() * STATUSES.length)],
          quantity: 1 + Math.floor(rand() * 9),
          order_date: new Date(BASE_TIME_MS + i * 1000),
          seq: i,
        },
      });
    }
    return out;
  },
};
