/** The stack is idempotent: a second `up` starts nothing, and every component answers. */
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ensureStack, stackStatus } from '../../../scripts/stack-control.js';
import { KAFKA_BROKERS, PG_URL } from '../../helpers/stack-env.js';

describe('local stack', () => {
  it('a second up is a no-op and everything answers', async () => {
    const lines: string[] = [];
    const { started } = await ensureStack({ log: (l) => lines.push(l) });
    expect(started).toEqual([]);
    const status = await stackStatus();
    expect(status.filter((s) => !s.up).map((s) => s.name)).toEqual([]);

    const admin = new Kafka({ clientId: 'stack-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers).toHaveLength(1);

    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.end();
    expect(rows[0]?.db).toBe('warehouse');
  });
});
