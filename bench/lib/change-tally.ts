/**
 * The exactly-once verdict of a bench run, pure: every change the bench wrote has an id it chose
 * itself (here `<pk>:<v>`, v unique per write), every record read back names one; exact means
 * each written id was read once and nothing else was read.
 */

export interface ChangeTally {
  expected: number;
  read: number;
  /** written, never read */
  missing: number;
  /** read more than once: the extra copies (an id read 3 times counts 2) */
  duplicates: number;
  /** read, never written (or not a change: e.g. a record without the id) */
  unexpected: number;
  exact: boolean;
  /** up to 10 ids of each kind, to look them up */
  examples: { missing: string[]; duplicated: string[]; unexpected: string[] };
}

export function tallyChanges(expected: Iterable<string>, read: Iterable<string | null>): ChangeTally {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  let readCount = 0;
  let unexpected = 0;
  const unexpectedIds: string[] = [];
  for (const id of read) {
    readCount++;
    if (id === null || !want.has(id)) {
      unexpected++;
      if (unexpectedIds.length < 10) unexpectedIds.push(String(id));
      continue;
    }
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  let duplicates = 0;
  const duplicated: string[] = [];
  for (const [id, n] of seen) {
    if (n < 2) continue;
    duplicates += n - 1;
    if (duplicated.length < 10) duplicated.push(id);
  }
  const missingIds = [...want].filter((id) => !seen.has(id));
  return {
    expected: want.size,
    read: readCount,
    missing: missingIds.length,
    duplicates,
    unexpected,
    exact: missingIds.length === 0 && duplicates === 0 && unexpected === 0,
    examples: { missing: missingIds.slice(0, 10), duplicated, unexpected: unexpectedIds },
  };
}
