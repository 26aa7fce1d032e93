/**
 * An Avro schema as JSON (Avro 1.11 specification, "Schema Declaration"): a type name, a union
 * (array) or a complex type (object). The one definition both halves use: the source writes
 * schemas (cql-to-avro.ts), the sink reads them (sink/core/avro-names.ts).
 */
export type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };

/**
 * The attribute marking a clustering column declared `DESC` on its field of the envelope's `Bound`
 * record (schemas/README.md "Source block"): range bounds are in clustering order, so a reader needs
 * each column's direction to compare them. Absent = `ASC`, CQL's default and what schemas written
 * before it meant. A schema attribute, not a record field: the order is the table's and never
 * changes (CQL cannot alter it), and every record of the table needs it, upserts included.
 */
export const CLUSTERING_ORDER_ATTR = 'clustering_order';
