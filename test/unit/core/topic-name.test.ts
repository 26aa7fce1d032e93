import { describe, expect, it } from 'vitest';
import { topicCollisions, topicFor } from '../../../src/core/topic-name.js';

describe('topic names', () => {
  it('fills both placeholders', () => {
    expect(topicFor('cdc.{keyspace}.{table}', 'ks', 't')).toBe('cdc.ks.t');
  });
  it('two keyspaces with one table name collide without {keyspace}, case-insensitively; never with it', () => {
    expect(topicCollisions('cdc.scylla.{table}', ['ks1.users', 'ks2.Users', 'ks1.orders'])).toEqual([
      'KAFKA_TOPIC_TEMPLATE: ks1.users and ks2.users (SCYLLA_TABLES) would share topic cdc.scylla.users and one target table; put {keyspace} in the template (e.g. cdc.{keyspace}.{table}) or replicate them with separate sources',
    ]);
    expect(topicCollisions('cdc.{keyspace}.{table}', ['ks1.users', 'ks2.users'])).toEqual([]);
    expect(topicCollisions('cdc.scylla.{table}', ['ks1.users', 'ks1.users'])).toEqual([]); // listed twice: one table
  });
});
