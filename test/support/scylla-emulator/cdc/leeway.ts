// generation_leeway and the "from the future" refusal shared by vnode generations and tablet
// stream sets (scylladb cdc/generation.cc get_generation_leeway: 5 s; cdc/metadata.cc get_stream
// and get_tablet_stream_set both refuse a write timestamp beyond now + leeway).

/** Writes may go this far into the past/future of the current generation or stream set. */
export const GENERATION_LEEWAY_MS = 5000;

export function fmtTs(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function futureWriteError(tsMs: number, nowMs: number): string {
  return (
    `cdc: attempted to get a stream "from the future" (${fmtTs(tsMs)}; current server time: ${fmtTs(nowMs)}).` +
    ` With CDC you cannot send writes with timestamps arbitrarily into the future, because we don't know what streams will be used at that time.\n` +
    `We *do* allow sending writes into the near future, but our ability to do that is limited.` +
    ` If you really must use your own timestamps, then make sure your clocks are well-synchronized  with the database's clocks.`
  );
}
