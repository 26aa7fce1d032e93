/** The Kafka topic of a ScyllaDB table under KAFKA_TOPIC_TEMPLATE (`{keyspace}`, `{table}`). */
export function topicFor(template: string, keyspace: string, table: string): string {
  return template.replace(/\{keyspace\}/g, keyspace).replace(/\{table\}/g, table);
}

/**
 * Tables of SCYLLA_TABLES that the template would put on one topic (ks1.users and ks2.users under
 * the default `cdc.scylla.{table}`): their changes would merge silently into one topic and one
 * target table, so the source refuses to start. Unquoted CQL names are case-insensitive (ScyllaDB
 * folds them to lower case), so the comparison is too.
 */
export function topicCollisions(template: string, tables: string[]): string[] {
  const byTopic = new Map<string, string[]>();
  for (const t of tables) {
    const [ks, name] = t.toLowerCase().split('.') as [string, string];
    const topic = topicFor(template, ks, name);
    const list = byTopic.get(topic) ?? [];
    if (!list.includes(t.toLowerCase())) list.push(t.toLowerCase());
    byTopic.set(topic, list);
  }
  const out: string[] = [];
  for (const [topic, list] of byTopic) {
    if (list.length > 1) {
      out.push(
        `KAFKA_TOPIC_TEMPLATE: ${list.join(' and ')} (SCYLLA_TABLES) would share topic ${topic} and one target table; put {keyspace} in the template (e.g. cdc.{keyspace}.{table}) or replicate them with separate sources`,
      );
    }
  }
  return out;
}
