/** Reads a source process's /status and /readyz: are all slots streaming every configured table? */

interface WorkerStatus {
  slot: number;
  ignoredCheckpoints?: string[];
  tables: { table: string; snapshot: { done: boolean } | null }[];
}

export interface StreamingReport {
  streaming: boolean;
  ready: boolean | null;
  readyz: unknown;
  notStreaming: unknown;
  /** Tables whose checkpoints some slot ignores (not in SCYLLA_TABLES). */
  ignored: string[];
}

/**
 * Streaming = every slot 0..slots-1 is held by this process and has a position in every
 * configured table with no snapshot left to do (computed from the workers' positions, so it does
 * not take the source's own word for it); `ready` is what /readyz answers.
 */
export async function streamingReport(port: number, slots: number): Promise<StreamingReport> {
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { tables: { table: string }[]; workers: WorkerStatus[]; notStreaming?: unknown };
  const readyRes = await fetch(`http://127.0.0.1:${port}/readyz`);
  const readyz = await readyRes.json();
  const tables = status.tables.map((t) => t.table);
  const bySlot = new Map(status.workers.map((w) => [w.slot, w]));
  const streaming =
    tables.length > 0 &&
    [...Array(slots).keys()].every((slot) => {
      const w = bySlot.get(slot);
      return w !== undefined && tables.every((t) => w.tables.some((x) => x.table === t && (x.snapshot === null || x.snapshot.done)));
    });
  const ignored = [...new Set(status.workers.flatMap((w) => w.ignoredCheckpoints ?? []))].sort();
  return { streaming, ready: readyRes.status === 200, readyz, notStreaming: status.notStreaming ?? null, ignored };
}
