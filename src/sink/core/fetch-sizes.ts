/**
 * How much one Kafka fetch may return, derived from SINK_MAX_INFLIGHT_BYTES.
 *
 * Why: the in-flight bound can only pause a partition after a fetch's records arrived, so one fetch
 * response always lands on top of it, and decoded it was about eight times its size on the heap
 * (two to three times since changes are held packed, core/heap-estimate.ts). With kafkajs's former
 * fixed 10 MiB per fetch, one response of a users-shaped backlog (≈47k records) decoded to ≈100 MiB
 * whatever the bound said. A sixteenth of the bound per fetch (a quarter of that per partition) keeps
 * one response's decoded size well under the bound; the floor keeps fetches useful for small
 * bounds, the ceilings are kafkajs's defaults for this sink. A record batch larger than these limits is still returned whole (KIP-74), so no
 * record can be stuck behind them.
 */
export interface FetchSizes {
  maxBytes: number;
  maxBytesPerPartition: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.floor(n)));

export function fetchSizes(maxInflightBytes: number): FetchSizes {
  const maxBytes = clamp(maxInflightBytes / 16, 64 * KiB, 10 * MiB);
  return { maxBytes, maxBytesPerPartition: clamp(maxBytes / 4, 16 * KiB, 2 * MiB) };
}
