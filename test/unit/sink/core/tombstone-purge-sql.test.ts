import { describe, expect, it } from 'vitest';
import { purgeTombstonesSql, tombstoneCutoffUs } from '../../../../src/sink/core/tombstone-purge-sql.js';

describe('tombstone retention SQL', () => {
  it('cuts off at now - retention, in µs, exactly past 2^53', () => {
    expect(tombstoneCutoffUs(1_700_000_000_000, 864_000_000)).toBe(1_699_136_000_000_000n);
    expect(tombstoneCutoffUs(1_700_000_000_000, 0)).toBe(1_700_000_000_000_000n);
  });

  it('deletes a bounded batch of old tombstones, skipping rows being written', () => {
    const sql = purgeTombstonesSql('s"x', '_cdc_tombstones_t', 500);
    expect(sql).toContain('FROM "s""x"."_cdc_tombstones_t" WHERE "_cdc_ts_us" < $1::bigint LIMIT 500 FOR UPDATE SKIP LOCKED');
    expect(sql).toContain('DELETE FROM "s""x"."_cdc_tombstones_t" AS b USING gone WHERE b.ctid = gone.ctid');
  });
});
