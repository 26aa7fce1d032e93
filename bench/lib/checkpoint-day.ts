/**
 * A day of a source's offsets topic, from per-minute rates measured over minutes (pure arithmetic,
 * so the README and docs/scale.md can show it). Two views:
 *  - what the topic receives: the committed checkpoint records (key + value bytes) and, where the
 *    broker's disk was measured, the log-segment bytes (batch headers, transaction markers);
 *  - what compaction keeps: the latest value per key (`<ks.table>#<slot>`).
 * Kafka never cleans the active segment of a partition (documentation, "Log Compaction"), and a
 * segment rolls after `segment.ms` (default 7 days) or `segment.bytes` (default 1 GiB); the source
 * sets `segment.ms` on its offsets topic (COMPACTED_TOPIC_CONFIG, 1 h), so that much of checkpoints
 * stays in the log before the cleaner may touch it.
 */
import { COMPACTED_TOPIC_CONFIG } from '../../src/source/topic-admin.js';

export interface PerMinute {
  records: number;
  bytes: number;
  recordsPerMin: number;
  bytesPerMin: number;
}

const MIN_PER_DAY = 1_440;
const SEGMENT_DAYS = Number(COMPACTED_TOPIC_CONFIG['segment.ms']) / 86_400_000;

export function dayOfCheckpoints(m: {
  idle: PerMinute;
  idleDiskPerMin: number | null;
  load: PerMinute | null;
  loadDiskPerMin: number | null;
  keys: number;
  latestBytes: number;
}): Record<string, unknown> {
  const day = (perMin: PerMinute, diskPerMin: number | null) => ({
    records: perMin.recordsPerMin * MIN_PER_DAY,
    recordBytes: perMin.bytesPerMin * MIN_PER_DAY,
    logSegmentBytes: diskPerMin === null ? null : diskPerMin * MIN_PER_DAY,
    logSegmentBytesBeforeFirstRoll: diskPerMin === null ? null : diskPerMin * MIN_PER_DAY * SEGMENT_DAYS,
  });
  return {
    idleAllDay: day(m.idle, m.idleDiskPerMin),
    loadedAllDay: m.load ? day(m.load, m.loadDiskPerMin) : null,
    compactedKeeps: { keys: m.keys, bytes: m.latestBytes },
  };
}
