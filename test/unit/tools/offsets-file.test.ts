import { describe, expect, it } from 'vitest';
import { parseOffsetsFile } from '../../../src/tools/offsets-file.js';
import { encodeCheckpoint } from '../../../src/source/core/checkpoint.js';

const checkpoint = encodeCheckpoint({ v: 1, table: 'ks.t', slot: 0, genMs: 1, atMs: 2 } as Parameters<typeof encodeCheckpoint>[0]);

const file = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    format: 'scylla-pg-cdc-offsets',
    version: 1,
    exportedAt: '2026-01-01T00:00:00Z',
    source: { name: 'src', topic: '_cdc_checkpoints.src', checkpoints: [{ partition: 0, key: 'ks.t/0', value: checkpoint }] },
    sink: { schema: 'cdc_data', offsets: [{ group_id: 'g', topic: 'users', partition: 0, next_offset: '12', topic_id: null }] },
    ...over,
  });

function refusal(text: string): Error & { exitCode?: number } {
  try {
    parseOffsetsFile(text);
  } catch (e) {
    return e as Error & { exitCode?: number };
  }
  throw new Error('accepted');
}

describe('offsets file', () => {
  it('accepts a well-formed file', () => {
    const f = parseOffsetsFile(file());
    expect(f.sink.offsets[0]!.next_offset).toBe('12');
    expect(f.source.checkpoints).toHaveLength(1);
  });

  it('refuses text that is not JSON (exit 2)', () => {
    const err = refusal('{');
    expect(err.message).toContain('not JSON');
    expect(err.exitCode).toBe(2);
  });

  it('lists every problem with its path at once', () => {
    const err = refusal(
      file({
        version: 2,
        source: { name: 'src', topic: 't', checkpoints: [{ partition: 0, key: 'k', value: '{"v":2}' }] },
        sink: { schema: 'cdc_data', offsets: [{ group_id: 'g', topic: 'users', partition: -1, next_offset: 'twelve' }] },
      }),
    );
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('version');
    expect(err.message).toContain('source.checkpoints.0.value: not a source checkpoint (v1)');
    expect(err.message).toContain('sink.offsets.0.partition');
    expect(err.message).toContain('sink.offsets.0.next_offset');
  });
});
