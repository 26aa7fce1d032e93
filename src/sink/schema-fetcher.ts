/**
 * Schema text by registry id (Confluent API `GET /schemas/ids/{id}`), cached forever: an id's schema
 * never changes. Only a 404 whose body carries error code 40403 ("schema not found", Confluent's
 * documented error codes) is a permanent answer (the record is dead-lettered as unknown-schema); any
 * other 404 means the URL does not point at the API (fatal: nothing would ever be found), and any
 * other failure is transient (the batch is retried).
 */
import type { RegistryHttp } from '../clients/registry.js';
import { ReplicatorError } from '../core/errors.js';

const SCHEMA_NOT_FOUND = 40403;
const ACCEPT = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };

function notTheApi(baseUrl: string, path: string): ReplicatorError {
  const err = new ReplicatorError(
    'CDC_CONFIG',
    `SCHEMA_REGISTRY_URL ${baseUrl} answered 404 for ${path} without error code ${SCHEMA_NOT_FOUND}: it is not a Confluent-compatible schema registry API (Apicurio: …/apis/ccompat/v7)`,
    false,
  );
  return Object.assign(err, { exitCode: 2 });
}

export class SchemaFetcher {
  private readonly cache = new Map<number, string | null>();

  constructor(private readonly registry: RegistryHttp) {}

  known(id: number): string | null | undefined {
    return this.cache.get(id);
  }

  /**
   * Start-up check that the URL is the API: `GET /subjects` must answer a JSON array. A 404 or an
   * authentication refusal is fatal (CDC_CONFIG, names the setting); anything else is transient.
   */
  async probe(): Promise<void> {
    let res: Response;
    try {
      res = await this.registry.fetch('/subjects', { headers: ACCEPT });
    } catch (err) {
      throw new ReplicatorError('CDC_REGISTRY', `schema registry unreachable: ${(err as Error).message}`, true, { cause: err });
    }
    if (res.status === 401 || res.status === 403) {
      throw Object.assign(
        new ReplicatorError('CDC_CONFIG', `schema registry refused the credentials (${res.status}): check SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD`, false),
        { exitCode: 2 },
      );
    }
    if (res.status === 404) throw notTheApi(this.registry.base, '/subjects');
    if (!res.ok) throw new ReplicatorError('CDC_REGISTRY', `schema registry answered ${res.status} for /subjects`, true);
    const body = await res.json().catch(() => undefined);
    if (!Array.isArray(body))
      throw Object.assign(
        new ReplicatorError(
          'CDC_CONFIG',
          `SCHEMA_REGISTRY_URL ${this.registry.base}: /subjects did not answer a JSON array; not a Confluent-compatible schema registry API`,
          false,
        ),
        { exitCode: 2 },
      );
  }

  /**
   * The newest schema registered under `subject` (its id is cached like get's), or null when the
   * subject has none (404): what a topic's records will be written with, before the first of them
   * arrives (table-warm-up.ts). Failures throw; the caller only warms up and may ignore them.
   */
  async latest(subject: string): Promise<{ id: number; schema: string } | null> {
    const res = await this.registry.fetch(`/subjects/${encodeURIComponent(subject)}/versions/latest`, { headers: ACCEPT });
    if (res.status === 404) return null;
    if (!res.ok) throw new ReplicatorError('CDC_REGISTRY', `schema registry answered ${res.status} for subject ${subject}`, true);
    const body = (await res.json()) as { id?: unknown; schema?: unknown; schemaType?: string };
    if (typeof body.id !== 'number' || typeof body.schema !== 'string' || (body.schemaType !== undefined && body.schemaType !== 'AVRO')) return null;
    this.cache.set(body.id, body.schema);
    return { id: body.id, schema: body.schema };
  }

  /** Resolves to the schema JSON text, or null when the registry does not know the id. */
  async get(id: number): Promise<string | null> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    let res: Response;
    try {
      res = await this.registry.fetch(`/schemas/ids/${id}`, { headers: ACCEPT });
    } catch (err) {
      throw new ReplicatorError('CDC_REGISTRY', `schema registry unreachable: ${(err as Error).message}`, true, { cause: err });
    }
    if (res.status === 404) {
      const body = (await res.json().catch(() => ({}))) as { error_code?: unknown };
      // Not cached: a schema registered later under this id (registry restored) is picked up.
      if (body.error_code === SCHEMA_NOT_FOUND) return null;
      throw notTheApi(this.registry.base, `/schemas/ids/${id}`);
    }
    if (!res.ok) throw new ReplicatorError('CDC_REGISTRY', `schema registry answered ${res.status} for id ${id}`, true);
    const body = (await res.json()) as { schema?: string; schemaType?: string };
    if (typeof body.schema !== 'string') throw new ReplicatorError('CDC_REGISTRY', `schema registry returned no schema for id ${id}`, true);
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') return null;
    this.cache.set(id, body.schema);
    return body.schema;
  }
}
