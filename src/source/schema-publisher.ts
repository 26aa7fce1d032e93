/**
 * Registers each table's key and envelope schemas under `<topic>-key` / `<topic>-value` with
 * BACKWARD compatibility, and hands out the avsc types + ids to encode with. Re-derived and
 * re-registered whenever the table's columns change (ALTER TABLE while running); the registry
 * returns the existing id for an unchanged schema, so restarts do not create versions.
 *
 * Plain HTTP (Confluent API) rather than the registry client's `register`: that one refuses to
 * register when a subject's compatibility differs instead of setting it, and we want exactly
 * "register, then pin BACKWARD" against both Confluent SR and Apicurio's ccompat API.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { RegistryHttp } from '../clients/registry.js';
import type { AvroType } from '../schema/avro-codec.js';
import { avroType, confluentEncoder, scratchEncoder } from '../schema/avro-codec.js';
import { sourceSchemaRegistrationFailures } from '../metrics/source-metrics.js';
import { cqlTypeToString } from '../schema/cql-type.js';
import { envelopeSchema, keySchema, partitionKeySchema } from '../schema/cql-to-avro.js';
import type { TableModel } from '../schema/table-model.js';
import { schemaFingerprint } from '../schema/table-model.js';
import { ReplicatorError } from '../core/errors.js';

export interface TableCodec {
  fingerprint: string;
  keyId: number;
  valueId: number;
  keyType: AvroType;
  valueType: AvroType;
  partitionKeyType: AvroType;
  encodeKey(v: unknown): Buffer;
  encodeValue(v: unknown): Buffer;
  /** Avro encoding of the partition-key prefix: the partitioning input (schemas/README.md); good until the next call. */
  partitionKeyBytes(v: unknown): Buffer;
}

export class SchemaPublisher {
  private readonly codecs = new Map<string, TableCodec>();
  private readonly pinned = new Set<string>();
  private readonly headers = { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json, application/json' };

  constructor(private readonly registry: RegistryHttp) {}

  /** The codec for the table's current shape; registers on first use of a shape. */
  async codecFor(topic: string, t: TableModel): Promise<TableCodec> {
    const fingerprint = schemaFingerprint(t, (c) => cqlTypeToString(c.type));
    const cacheKey = `${topic}|${fingerprint}`;
    const cached = this.codecs.get(cacheKey);
    if (cached) return cached;
    const key = keySchema(t);
    const value = envelopeSchema(t);
    const keyType = avroType(key);
    const valueType = avroType(value);
    const partitionKeyType = avroType(partitionKeySchema(t));
    const keyId = await this.register(`${topic}-key`, key);
    const valueId = await this.register(`${topic}-value`, value);
    const codec: TableCodec = {
      fingerprint,
      keyId,
      valueId,
      keyType,
      valueType,
      partitionKeyType,
      encodeKey: confluentEncoder(keyId, keyType),
      encodeValue: confluentEncoder(valueId, valueType),
      partitionKeyBytes: scratchEncoder(partitionKeyType),
    };
    this.codecs.set(cacheKey, codec);
    return codec;
  }

  private async register(subject: string, schema: unknown): Promise<number> {
    let body: unknown;
    try {
      body = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema: JSON.stringify(schema) });
    } catch (err) {
      // Alerted on (deploy/prometheus): the table's records are held back until this succeeds.
      const reason = /→ 409/.test((err as Error).message) ? 'incompatible' : /unreachable/.test((err as Error).message) ? 'unreachable' : 'error';
      sourceSchemaRegistrationFailures.inc({ subject, reason });
      throw err;
    }
    const id = (body as { id?: number }).id;
    if (typeof id !== 'number') throw new ReplicatorError('CDC_REGISTRY', `registry answered without an id for ${subject}`, true);
    if (!this.pinned.has(subject)) {
      await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'BACKWARD' });
      this.pinned.add(subject);
    }
    return id;
  }

  private async request(method: string, path: string, payload: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await this.registry.fetch(path, { method, headers: this.headers, body: JSON.stringify(payload) });
    } catch (err) {
      throw new ReplicatorError('CDC_REGISTRY', `schema registry unreachable (${method} ${path}): ${(err as Error).message}`, true, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      // 409 = incompatible: a schema change we cannot express BACKWARD; retrying will not help.
      throw new ReplicatorError('CDC_REGISTRY', `schema registry ${method} ${path} → ${res.status}: ${text.slice(0, 500)}`, res.status >= 500 || res.status === 429);
    }
    return text ? JSON.parse(text) : {};
  }
}

/** Kept for callers that already hold the library client (e.g. for decoding in tests). */
export type { SchemaRegistry };
