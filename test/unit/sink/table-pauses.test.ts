/**
 * How the sink applies the operator's pauses to its consumer: the real KafkaConsumer wrapper (its
 * pause reasons) over a recording stand-in for the kafkajs consumer, the real AssignmentState and
 * Intake. No broker: what is checked is which pause/resume/seek calls reach kafkajs, in what order.
 */
import type { Batch, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { AssignmentState } from '../../../src/sink/assignment-state.js';
import { tpKey } from '../../../src/sink/core/offset-tracker.js';
import { Intake, type IntakeDeps } from '../../../src/sink/intake.js';
import { KafkaConsumer } from '../../../src/sink/kafka-consumer.js';
import type { PausedTablesStore, PausedTopic } from '../../../src/sink/paused-tables-store.js';
import { TablePauses } from '../../../src/sink/table-pauses.js';

const log = createLogger('test', 'silent');
const A = 'cdc.scylla.a';
const B = 'cdc.scylla.b';

/** The real wrapper; `kafka` only matters to tests that make it create a kafkajs consumer. */
const wrapper = (kafka: unknown = {}) =>
  new KafkaConsumer(
    kafka as Kafka,
    'g',
    { kind: 'list', topics: [A] },
    'dlq',
    1000,
    10000,
    { maxBytes: 1, maxBytesPerPartition: 1 },
    { onAssign: async () => undefined, onBatch: async () => undefined, onHealth: () => undefined },
    log,
  );

function consumer() {
  const calls: string[] = [];
  const kc = wrapper();
  const list = (tps: { topic: string; partitions?: number[] }[]) => tps.map((t) => `${t.topic}/${t.partitions!.join(',')}`).join(' ');
  Object.assign(kc, {
    consumer: {
      pause: (tps: { topic: string; partitions?: number[] }[]) => calls.push(`pause ${list(tps)}`),
      resume: (tps: { topic: string; partitions?: number[] }[]) => calls.push(`resume ${list(tps)}`),
      seek: (s: { topic: string; partition: number; offset: string }) => calls.push(`seek ${s.topic}/${s.partition} ${s.offset}`),
    },
  });
  return { kc, calls };
}

/** TablePauses over a stand-in for the `_cdc_paused_tables` rows; `set` replaces them. */
function pauses(topics: string[]) {
  const rowsOf = (t: string[]): PausedTopic[] => t.map((topic) => ({ topic, table: null, pausedAt: new Date(0), pausedBy: 'me', reason: null }));
  let rows = rowsOf(topics);
  const store = { list: async () => rows } as unknown as PausedTablesStore;
  const p = new TablePauses({} as never, store, 'cdc.scylla.{table}', log);
  return { p, set: (t: string[]) => (rows = rowsOf(t)) };
}

function assigned(...tps: [string, number, bigint][]): AssignmentState {
  const s = new AssignmentState({ maxSize: 10, maxWaitMs: 10 });
  for (const [topic, partition, from] of tps) {
    s.tracker.assign(tpKey(topic, partition), from);
    s.fetched.set(tpKey(topic, partition), from);
  }
  return s;
}

describe('table pauses on the consumer', () => {
  it('pauses every assigned partition of a paused topic, and on resume seeks each back to the first offset not taken', async () => {
    const { kc, calls } = consumer();
    const { p, set } = pauses([A]);
    await p.refresh();
    const state = assigned([A, 0, 5n], [A, 1, 7n], [B, 0, 3n]);
    p.apply(kc, state);
    expect(calls).toEqual([`pause ${A}/0`, `pause ${A}/1`]);
    p.apply(kc, state); // idempotent: the timer applies on every tick
    expect(calls).toHaveLength(2);
    p.apply(kc, assigned([B, 0, 3n])); // an assignment under way has not placed A yet: A stays paused
    expect(calls).toHaveLength(2);
    state.fetched.set(tpKey(A, 1), 9n); // taken before the pause reached the consumer, then applied
    set([]);
    await p.refresh();
    p.apply(kc, state);
    expect(calls.slice(2)).toEqual([`seek ${A}/0 5`, `resume ${A}/0`, `seek ${A}/1 9`, `resume ${A}/1`]);
  });

  it('the memory bound does not resume a paused table, and the resume does not release the memory bound', async () => {
    const { kc, calls } = consumer();
    const { p, set } = pauses([A]);
    await p.refresh();
    const state = assigned([A, 0, 0n]);
    kc.pause(A, [0], 'memory');
    p.apply(kc, state);
    kc.resume(A, [0], 'memory'); // commits freed room
    expect(calls).toEqual([`pause ${A}/0`]);
    kc.pause(A, [0], 'memory');
    set([]);
    await p.refresh();
    p.apply(kc, state);
    expect(calls).toEqual([`pause ${A}/0`, `seek ${A}/0 0`]); // still paused for memory
    kc.resume(A, [0], 'memory');
    expect(calls.at(-1)).toBe(`resume ${A}/0`);
  });

  it('intake does not take a batch of a paused table: it pauses the partition and puts kafkajs back on the first offset not taken', async () => {
    const { kc, calls } = consumer();
    const { p } = pauses([A]);
    await p.refresh();
    const state = assigned([A, 0, 5n]);
    const intake = new Intake({ log, consumer: kc, tablePaused: (t: string) => p.isPaused(t), state: () => state, draining: () => false } as unknown as IntakeDeps);
    const batch = { topic: A, partition: 0, fetchedOffset: '5', messages: [{ offset: '5', key: null, value: Buffer.from('x') }], lastOffset: () => '5' } as unknown as Batch;
    await intake.onBatch(batch, async () => undefined);
    expect(calls).toEqual([`pause ${A}/0`, `seek ${A}/0 5`]);
    expect(state.fetched.get(tpKey(A, 0))).toBe(5n); // nothing taken
    expect(state.records.bytes).toBe(0);
  });

  it('a failed poll keeps the last known pauses (an outage never resumes a table)', async () => {
    const rows: PausedTopic[] = [{ topic: A, table: 'ks.a', pausedAt: new Date(0), pausedBy: 'me', reason: null }];
    let fail = false;
    const store = { list: async () => (fail ? Promise.reject(new Error('pg down')) : rows) } as unknown as PausedTablesStore;
    const p = new TablePauses({} as never, store, 'cdc.scylla.{table}', log);
    await p.refresh();
    fail = true;
    await expect(p.refresh()).rejects.toThrow('pg down');
    expect(p.isPaused(A)).toBe(true);
    expect(p.status()).toEqual([expect.objectContaining({ table: 'ks.a', topic: A, since: '1970-01-01T00:00:00.000Z' })]);
  });
  it('a pause asked before kafkajs runs the consumer is kept, and applied once it runs', async () => {
    const calls: string[] = [];
    let running = false;
    const fake = {
      events: { GROUP_JOIN: 'join', CRASH: 'crash', FETCH: 'fetch' },
      on: () => undefined,
      connect: async () => undefined,
      subscribe: async () => undefined,
      disconnect: async () => undefined,
      run: async () => {
        kc.pause(A, [0], 'operator'); // the lag timer, while kafkajs is still joining
        running = true;
      },
      pause: (tps: { topic: string; partitions: number[] }[]) => {
        if (!running) throw new Error('Consumer group was not initialized, consumer#run must be called first');
        calls.push(`pause ${tps.map((t) => `${t.topic}/${t.partitions.join(',')}`).join(' ')}`);
      },
    };
    const kc = wrapper({ consumer: () => fake });
    Object.assign(kc, { topics: [A] });
    await kc.restart();
    expect(kc.isPaused(A, 0, 'operator')).toBe(true);
    expect(calls).toEqual([`pause ${A}/0`]);
  });
});
