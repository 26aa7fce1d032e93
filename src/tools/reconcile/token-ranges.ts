/** The Murmur3 ring (-2^63, 2^63-1] cut into `n` contiguous ranges (start exclusive, end inclusive). */
const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

export function splitRing(n: number): [bigint, bigint][] {
  const width = (MAX - MIN) / BigInt(n);
  const out: [bigint, bigint][] = [];
  let start = MIN;
  for (let i = 0; i < n; i++) {
    const end = i === n - 1 ? MAX : start + width;
    out.push([start, end]);
    start = end;
  }
  return out;
}
