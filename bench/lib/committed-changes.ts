/**
 * Reads a data topic the way the exactly-once verdict needs it: Kafka's own Java consumer
 * (kafka-clients, read_committed, from the beginning to the last stable offset;
 * test/helpers/java-kafka.ts) rather than kafkajs, whose aborted-transaction filter the source's
 * own readers share and which was wrong before (docs/source.md); each value decoded with plain avsc
 * from the schema the registry holds for its id, not with the source's codec.
 */
import avro from 'avsc';
import { javaReadCommitted } from '../../test/helpers/java-kafka.js';
import { KAFKA_BROKERS, REGISTRY_URL } from './kafka.js';

/** The id of each committed record of `topic`: `<after.pk>:<after.v.value>` (null when it has no such fields). */
export async function committedChangeIds(topic: string): Promise<(string | null)[]> {
  const types = new Map<number, avro.Type>();
  const typeOf = async (id: number): Promise<avro.Type> => {
    let t = types.get(id);
    if (!t) {
      const res = await fetch(`${REGISTRY_URL}/schemas/ids/${id}`);
      if (!res.ok) throw new Error(`registry: schema ${id}: HTTP ${res.status}`);
      t = avro.Type.forSchema(JSON.parse(((await res.json()) as { schema: string }).schema) as avro.Schema);
      types.set(id, t);
    }
    return t;
  };
  const out: (string | null)[] = [];
  for (const r of await javaReadCommitted(KAFKA_BROKERS, [topic], 300_000)) {
    // Confluent framing: magic byte 0, schema id (int32 BE), Avro body.
    if (!r.value || r.value.length < 5 || r.value[0] !== 0) {
      out.push(null);
      continue;
    }
    const env = (await typeOf(r.value.readInt32BE(1))).fromBuffer(r.value.subarray(5)) as { after?: { pk?: unknown; v?: { value?: unknown } | null } | null };
    const pk = env.after?.pk;
    const v = env.after?.v?.value;
    out.push(typeof pk === 'number' && typeof v === 'number' ? `${pk}:${v}` : null);
  }
  return out;
}
