/**
 * An Avro schema as JSON (Avro 1.11 specification, "Schema Declaration"): a type name, a union
 * (array) or a complex type (object). The one definition both halves use: the source writes
 * schemas (cql-to-avro.ts), the sink reads them (sink/core/avro-names.ts).
 */
export type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };
