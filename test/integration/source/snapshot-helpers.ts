/** Helpers of the on-demand snapshot tests: the CLI run in this process, the checkpoint history. */
import { expect, vi } from 'vitest';
import type { CommandContext } from '../../../src/cli/command-context.js';
import { offsetsTopicName } from '../../../src/source/checkpoint-store.js';
import { decodeCheckpoint, type SlotCheckpoint } from '../../../src/source/core/checkpoint.js';
import { readTopicToEnd } from '../../../src/clients/topic-reader.js';
import { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { kafkaClient } from './harness.js';

/** The CLI's environment: the tools see the pipeline's SCYLLA_TABLES and SOURCE_NAME. */
export function cliEnv(tables: string[], sourceName: string, statusUrl = 'http://127.0.0.1:9'): Record<string, string> {
  return {
    SCYLLA_TABLES: tables.join(','),
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    SCHEMA_REGISTRY_URL,
    SOURCE_NAME: sourceName,
    SOURCE_STATUS_URL: statusUrl,
    SINK_STATUS_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'error',
  };
}

/** Runs the CLI in this process and returns what it printed. */
export async function cli(run: (ctx: CommandContext) => Promise<number>, argv: string[], env: Record<string, string>): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  try {
    expect(await run({ argv, env })).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out;
}

/** Some slot's committed checkpoints show its stream position moving while its share of `id` was unfinished. */
export async function streamMovedDuringSnapshot(sourceName: string, table: string, id: string): Promise<boolean> {
  const history = await checkpointHistory(sourceName, table);
  const bySlot = new Map<number, Set<number>>();
  for (const c of history) {
    if (c.snapshot?.requestId !== id || c.snapshot.done) continue;
    bySlot.set(c.slot, (bySlot.get(c.slot) ?? new Set()).add(c.atMs));
  }
  return [...bySlot.values()].some((positions) => positions.size > 1);
}

/** Every committed checkpoint of `table` in the offsets topic, in offset order per slot. */
export async function checkpointHistory(sourceName: string, table: string): Promise<SlotCheckpoint[]> {
  return (await readTopicToEnd(kafkaClient(), offsetsTopicName(sourceName)))
    .map((m) => decodeCheckpoint(m.value))
    .filter((c): c is SlotCheckpoint => c !== undefined && c.table === table);
}
