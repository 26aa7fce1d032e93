/**
 * Topic ids (KIP-516) through kafkajs's own broker connection, so TLS and SASL are the client's.
 *
 * kafkajs 2.2.4 (pinned in package.json) has no API for Metadata v10+; its cluster factory and broker
 * connection are reached here, in this one file, through the names kafkajs gives them
 * (`private:Kafka:createCluster`, `brokerPool.seedBroker.connectionPool.send`). If a kafkajs upgrade
 * moves them, `topicIds` returns undefined and the sink falls back to offset-range checks only; the
 * integration test test/integration/sink/offset-resets.test.ts fails first, since it needs the ids.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import { METADATA_API_KEY, METADATA_VERSION, decodeMetadataResponse, encodeMetadataRequest, type TopicIdMetadata } from './metadata-v12.js';

const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  brokerPool: { seedBroker?: KafkajsBroker };
}
interface KafkajsBroker {
  versions?: Record<number, { minVersion: number; maxVersion: number }>;
  connectionPool: { send(req: unknown): Promise<unknown> };
}

function createCluster(kafka: Kafka): KafkajsCluster | undefined {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof factory !== 'function') return undefined;
  return (factory as (o: object) => KafkajsCluster)({ allowAutoTopicCreation: false });
}

/** What kafkajs's request framing reads from an Encoder (`buf`, `buffer`, `size()`). */
function encoderLike(body: Buffer): object {
  return { buf: body, buffer: body, size: () => body.length };
}

export interface TopicIds {
  clusterId: string | null;
  /** Only topics that exist and have an id. */
  ids: Map<string, string>;
}

/**
 * The cluster id and the ids of `topics`; undefined when the broker (before 2.8 / without
 * Metadata v12) or the client cannot tell. Throws on connection errors (callers retry).
 */
export async function topicIds(kafka: Kafka, topics: readonly string[], log: Logger): Promise<TopicIds | undefined> {
  const cluster = createCluster(kafka);
  if (!cluster) {
    log.warn('this kafkajs build does not expose its cluster factory: topic ids unavailable, recreated topics are detected by offsets only');
    return undefined;
  }
  try {
    await cluster.connect();
    const broker = cluster.brokerPool.seedBroker;
    const max = broker?.versions?.[METADATA_API_KEY]?.maxVersion ?? -1;
    if (!broker || max < METADATA_VERSION) return undefined;
    const body = encodeMetadataRequest(topics);
    const decoded = (await broker.connectionPool.send({
      request: { apiKey: METADATA_API_KEY, apiVersion: METADATA_VERSION, apiName: 'Metadata', encode: () => Promise.resolve(encoderLike(body)) },
      response: { decode: (raw: Buffer) => Promise.resolve(decodeMetadataResponse(raw)), parse: (d: TopicIdMetadata) => Promise.resolve(d) },
    })) as TopicIdMetadata;
    const ids = new Map<string, string>();
    for (const [name, t] of decoded.topics) if (t.errorCode === 0 && t.id !== NO_ID) ids.set(name, t.id);
    return { clusterId: decoded.clusterId, ids };
  } finally {
    await cluster.disconnect().catch(() => undefined); // a one-shot connection; nothing to keep
  }
}
