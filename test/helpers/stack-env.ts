/** Endpoints of the local stack that `npm test` brings up (scripts/stack-control.ts). */
import { randomBytes } from 'node:crypto';

export const KAFKA_BROKERS = ['127.0.0.1:9092'];
export const SCHEMA_REGISTRY_URL = 'http://127.0.0.1:8081/apis/ccompat/v7';
export const PG_URL = 'postgres://postgres@127.0.0.1:5432/warehouse';
export const SCYLLA_CONTACT_POINT = '127.0.0.1:9042';

/** Unique, identifier-safe names so test files can share one broker and one database. */
export function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}
