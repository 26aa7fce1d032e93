/**
 * The registry of the local stack (Apicurio 3, Confluent-compatible API) behaves as the Confluent
 * Schema Registry does for the client we use: register, BACKWARD evolution, fetch by id.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { randomName, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';

const registry = new SchemaRegistry({ host: SCHEMA_REGISTRY_URL });

const v1 = {
  type: 'record',
  name: 'User',
  namespace: 'app_data.users',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'name', type: ['null', 'string'], default: null },
  ],
};

describe('schema registry (Apicurio ccompat)', () => {
  it('registers, evolves BACKWARD, refuses an incompatible change and fetches by id', async () => {
    const subject = `${randomName('cdc.scylla.users')}-value`;
    const { id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject, compatibility: COMPATIBILITY.BACKWARD });
    expect(id1).toBeGreaterThan(0);

    // Re-registering the identical schema returns the same id (producers restart and re-register).
    const again = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
    expect(again.id).toBe(id1);

    // Adding an optional field with a default is BACKWARD compatible.
    const v2 = { ...v1, fields: [...v1.fields, { name: 'email', type: ['null', 'string'], default: null }] };
    const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject });
    expect(id2).not.toBe(id1);
    expect(await registry.getLatestSchemaId(subject)).toBe(id2);

    // A new required field without default cannot read old data: refused.
    const bad = { ...v1, fields: [...v1.fields, { name: 'age', type: 'int' }] };
    await expect(registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(bad) }, { subject })).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/incompatible/i),
    });
    expect(await registry.getLatestSchemaId(subject)).toBe(id2);

    // Round trip through the wire format with the fetched schema.
    const encoded = await registry.encode(id2, { id: 'u1', name: 'Ada', email: null });
    expect(encoded[0]).toBe(0);
    expect(encoded.readUInt32BE(1)).toBe(id2);
    expect(await registry.decode(encoded)).toEqual({ id: 'u1', name: 'Ada', email: null });
    // The registry gives back exactly the schema registered under id1 (fields in order, defaults kept).
    const res = await fetch(`${SCHEMA_REGISTRY_URL}/schemas/ids/${id1}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(((await res.json()) as { schema: string }).schema)).toEqual(v1);
  });
});
