/**
 * Schema text by registry id (Confluent API `GET /schemas/ids/{id}`), cached forever: an id's schema
 * never changes. A 404 is a permanent answer (the record is dead-lettered as unknown-schema); any
 * other failure is transient (the batch is retried).
 */
import type { RegistryHttp } from '../clients/registry.js';
import { ReplicatorError } from '../core/errors.js';

export class SchemaFetcher {
  private readonly cache = new Map<number, string | null>();

  constructor(private readonly registry: RegistryHttp) {}

  known(id: number): string | null | undefined {
    return this.cache.get(id);
  }

  /** Resolves to the schema JSON text, or null when the registry does not know the id. */
  async get(id: number): Promise<string | null> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    let res: Response;
    try {
      res = await this.registry.fetch(`/schemas/ids/${id}`, { headers });
    } catch (err) {
      throw new ReplicatorError('CDC_REGISTRY', `schema registry unreachable: ${(err as Error).message}`, true, { cause: err });
    }
    if (res.status === 404) {
      // Not cached: a schema registered later under this id (registry restored) is picked up.
      return null;
    }
    if (!res.ok) throw new ReplicatorError('CDC_REGISTRY', `schema registry answered ${res.status} for id ${id}`, true);
    const body = (await res.json()) as { schema?: string; schemaType?: string };
    if (typeof body.schema !== 'string') throw new ReplicatorError('CDC_REGISTRY', `schema registry returned no schema for id ${id}`, true);
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') return null;
    this.cache.set(id, body.schema);
    return body.schema;
  }
}
