/** Reading our processes' Prometheus endpoints from the bench. */

/** Sum of every series of counter `name` on the process's /metrics, per `label` ("all" when it has none). */
export async function metricSum(port: number, name: string, label = 'kind'): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\S+?)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const kind = new RegExp(`${label}="([^"]*)"`).exec(m[2] ?? '')?.[1] ?? 'all';
    out[kind] = (out[kind] ?? 0) + Number(m[3]);
  }
  return out;
}

export const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

/** Count and mean (ms) of histogram `name` on the process's /metrics, per value of `label` ("all" when it has none). */
export async function histogramMeans(port: number, name: string, label = 'phase'): Promise<Record<string, { count: number; meanMs: number }>> {
  const sums = await metricSum(port, `${name}_sum`, label);
  const counts = await metricSum(port, `${name}_count`, label);
  const out: Record<string, { count: number; meanMs: number }> = {};
  for (const [k, count] of Object.entries(counts)) out[k] = { count, meanMs: count > 0 ? Math.round(((sums[k] ?? 0) / count) * 10_000) / 10 : 0 };
  return out;
}
