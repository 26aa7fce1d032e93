/**
 * Metadata v12 codec against bytes written out field by field from Kafka's message definitions
 * (clients/src/main/resources/common/message/Metadata{Request,Response}.json), not with the codec.
 */
import { describe, expect, it } from 'vitest';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../../src/clients/metadata-v12.js';

const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('Metadata v12', () => {
  it('encodes a request for topics by name', () => {
    const expected = Buffer.concat([
      Buffer.from([0x00]), // header v2 tagged fields (empty)
      Buffer.from([0x02]), // topics: compact array of 1
      Buffer.alloc(16), // topic_id: zero (ask by name)
      Buffer.from([0x04]),
      Buffer.from('abc'), // name: compact string "abc"
      Buffer.from([0x00]), // topic tagged fields
      Buffer.from([0x00, 0x00]), // allow_auto_topic_creation, include_topic_authorized_operations
      Buffer.from([0x00]), // tagged fields
    ]);
    expect(encodeMetadataRequest(['abc'])).toEqual(expected);
  });

  it('decodes the cluster id and topic ids, skipping brokers, partitions and tagged fields', () => {
    const body = Buffer.concat([
      Buffer.from([0x01, 0x07, 0x01, 0xaa]), // response header tagged fields: one field, tag 7, 1 byte
      Buffer.from([0, 0, 0, 0]), // throttle_time_ms
      Buffer.from([0x02]), // brokers: 1
      Buffer.from([0, 0, 0, 1]),
      Buffer.from([0x03]),
      Buffer.from('h1'),
      Buffer.from([0, 0, 0x23, 0x84]),
      Buffer.from([0x00]),
      Buffer.from([0x00]),
      Buffer.from([0x04]),
      Buffer.from('cid'), // cluster_id
      Buffer.from([0, 0, 0, 1]), // controller_id
      Buffer.from([0x03]), // topics: 2
      // topic "t": ok, one partition
      Buffer.from([0, 0]),
      Buffer.from([0x02]),
      Buffer.from('t'),
      id,
      Buffer.from([0x00]),
      Buffer.from([0x02]), // partitions: 1
      Buffer.from([0, 0]),
      Buffer.from([0, 0, 0, 0]),
      Buffer.from([0, 0, 0, 1]),
      Buffer.from([0, 0, 0, 5]),
      Buffer.from([0x02, 0, 0, 0, 1]),
      Buffer.from([0x02, 0, 0, 0, 1]),
      Buffer.from([0x01]),
      Buffer.from([0x00]),
      Buffer.from([0x80, 0, 0, 0]),
      Buffer.from([0x00]), // topic_authorized_operations, tagged fields
      // topic "x": UNKNOWN_TOPIC_OR_PARTITION (3), zero id, no partitions
      Buffer.from([0, 3]),
      Buffer.from([0x02]),
      Buffer.from('x'),
      Buffer.alloc(16),
      Buffer.from([0x00]),
      Buffer.from([0x01]),
      Buffer.from([0x80, 0, 0, 0]),
      Buffer.from([0x00]),
      Buffer.from([0x00]), // tagged fields
    ]);
    const m = decodeMetadataResponse(body);
    expect(m.clusterId).toBe('cid');
    expect(m.topics.get('t')).toEqual({ id: id.toString('base64url'), errorCode: 0 });
    expect(m.topics.get('x')?.errorCode).toBe(3);
  });

  it('refuses a truncated response and an array count larger than the bytes left', () => {
    expect(() => decodeMetadataResponse(Buffer.from([0x00, 0, 0]))).toThrow(/truncated/);
    expect(() => decodeMetadataResponse(Buffer.from([0x00, 0, 0, 0, 0, 0xff, 0xff, 0x03]))).toThrow(/array of/);
  });
});
