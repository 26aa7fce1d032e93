/**
 * The offsets backup file (`scylla-pg-cdc offsets export|import`), what backup-offsets.sh kept for
 * the old pipeline: the source's checkpoints (records of its compacted offsets topic) and the sink's
 * stored offsets (rows of `<PG_SCHEMA>._cdc_offsets`). Validated whole before anything is written.
 */
import { z } from 'zod';
import { decodeCheckpoint } from '../source/core/checkpoint.js';

const checkpointRecord = z.object({
  partition: z.number().int().min(0),
  key: z.string().min(1),
  /** The checkpoint JSON as the source wrote it. */
  value: z.string().refine(
    (v) => {
      try {
        return decodeCheckpoint(v) !== undefined;
      } catch {
        return false; // decodeCheckpoint throws on anything that is not a v1 checkpoint
      }
    },
    { message: 'not a source checkpoint (v1)' },
  ),
});

const sinkOffset = z.object({
  group_id: z.string().min(1),
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  next_offset: z.string().regex(/^\d+$/, { message: 'expected a non-negative integer as a string' }).nullable(),
  /** The Kafka topic id the offset was read from (KIP-516); absent in files of older versions. */
  topic_id: z.string().min(1).nullable().optional(),
});

export const offsetsFileSchema = z.object({
  format: z.literal('scylla-pg-cdc-offsets'),
  version: z.literal(1),
  exportedAt: z.string(),
  source: z.object({ name: z.string().min(1), topic: z.string().min(1), checkpoints: z.array(checkpointRecord) }),
  sink: z.object({ schema: z.string().min(1), offsets: z.array(sinkOffset) }),
  /** The Kafka cluster the file was exported from (absent in files of older versions). */
  kafka: z.object({ clusterId: z.string().nullable() }).optional(),
});

export type OffsetsFile = z.infer<typeof offsetsFileSchema>;

/** Every problem at once, each with its JSON path. */
export function parseOffsetsFile(text: string): OffsetsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw Object.assign(new Error(`offsets file is not JSON: ${(err as Error).message}`), { exitCode: 2 });
  }
  const parsed = offsetsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw Object.assign(new Error(`invalid offsets file:\n${lines.join('\n')}`), { exitCode: 2 });
  }
  return parsed.data;
}

/** What the running configuration allows an import to write. */
export interface ImportScope {
  sourceName: string;
  checkpointsTopic: string;
  sinkGroupId: string;
  pgSchema: string;
  /** Whether the sink consumes this topic (SINK_TOPICS). */
  consumes: (topic: string) => boolean;
}

/**
 * An offsets file is data from elsewhere: it may only set the positions of this deployment (its
 * source name and checkpoint topic, its sink group, PG_SCHEMA, topics the sink consumes). Anything
 * else would write another deployment's positions or an arbitrary topic or table. Every problem at once.
 */
export function importScopeProblems(file: OffsetsFile, scope: ImportScope): string[] {
  const out: string[] = [];
  if (file.source.name !== scope.sourceName) out.push(`source.name ${JSON.stringify(file.source.name)} is not SOURCE_NAME ${JSON.stringify(scope.sourceName)}`);
  if (file.source.topic !== scope.checkpointsTopic)
    out.push(`source.topic ${JSON.stringify(file.source.topic)} is not this source's checkpoint topic ${JSON.stringify(scope.checkpointsTopic)}`);
  if (file.sink.schema !== scope.pgSchema) out.push(`sink.schema ${JSON.stringify(file.sink.schema)} is not PG_SCHEMA ${JSON.stringify(scope.pgSchema)}`);
  file.sink.offsets.forEach((o, i) => {
    if (o.group_id !== scope.sinkGroupId) out.push(`sink.offsets.${i}.group_id ${JSON.stringify(o.group_id)} is not SINK_GROUP_ID ${JSON.stringify(scope.sinkGroupId)}`);
    if (!scope.consumes(o.topic)) out.push(`sink.offsets.${i}.topic ${JSON.stringify(o.topic)} is not a topic the sink consumes (SINK_TOPICS)`);
  });
  return out;
}
