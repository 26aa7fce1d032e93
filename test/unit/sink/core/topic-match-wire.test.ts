import { describe, expect, it } from 'vitest';
import { matchTopics, parseTopicSelector } from '../../../../src/sink/core/topic-match.js';
import { readWireHeader } from '../../../../src/sink/core/wire-format.js';

describe('SINK_TOPICS selector', () => {
  const existing = ['app.users', 'app.orders', 'other', 'cdc.dlq', '__consumer_offsets', '__app.internal'];

  it('a comma list names exact topics that exist', () => {
    const sel = parseTopicSelector(' app.users , missing,,other ');
    expect(sel).toEqual({ kind: 'list', topics: ['app.users', 'missing', 'other'] });
    expect(matchTopics(sel, existing, 'cdc.dlq')).toEqual(['app.users', 'other']);
  });

  it('a leading ^ makes a regex; the DLQ and internal topics are never consumed', () => {
    expect(matchTopics(parseTopicSelector('^app\\.'), existing, 'cdc.dlq')).toEqual(['app.orders', 'app.users']);
    expect(matchTopics(parseTopicSelector('^.*'), existing, 'cdc.dlq')).toEqual(['app.orders', 'app.users', 'other']);
  });
});

describe('Confluent wire header', () => {
  it('reads the big-endian schema id after magic byte 0, including ids above 2^31', () => {
    expect(readWireHeader(Uint8Array.from([0, 0, 0, 1, 2, 9]))).toEqual({ ok: true, schemaId: 258 });
    expect(readWireHeader(Uint8Array.from([0, 0xff, 0xff, 0xff, 0xff]))).toEqual({ ok: true, schemaId: 0xffffffff });
  });

  it('names the problem: a wrong magic byte, or fewer than 5 bytes', () => {
    expect(readWireHeader(Uint8Array.from([1, 0, 0, 0, 1]))).toEqual({ ok: false, problem: 'bad-magic-byte' });
    expect(readWireHeader(Uint8Array.from([0, 0, 0, 1]))).toEqual({ ok: false, problem: 'undecodable' });
  });
});
