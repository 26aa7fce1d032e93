import { describe, expect, it } from 'vitest';
import { chartPanels, isChartInput, thousands, type ChartInput } from '../../../bench/lib/chart-data.js';
import { escapeXml, niceStep, renderChart } from '../../../bench/lib/chart-svg.js';

function result(scenario: string, workload: string, rowsPerSec: number | null, o: Partial<ChartInput> & { runId?: string } = {}): ChartInput {
  return {
    scenario,
    workload,
    rows: o.rows ?? 200_000,
    completed: o.completed ?? rowsPerSec !== null,
    reason: o.reason ?? 'all rows applied',
    rowsPerSec,
    peakRssMb: o.peakRssMb ?? {},
    date: o.date ?? '2026-11-30T06:13:07.222Z',
    settings: { runId: o.runId ?? 'bench_00000001' },
    ...(o.contentsMatch !== undefined ? { contentsMatch: o.contentsMatch } : {}),
    ...(o.details ? { details: o.details } : {}),
  };
}

/** width of every bar, by "workload/scenario", read back from the SVG text */
function widths(svg: string, panel = 0): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of svg.matchAll(/<rect class="bar" data-panel="(\d+)" data-workload="([^"]*)" data-scenario="([^"]*)" x="[^"]*" y="[^"]*" width="([^"]*)"/g)) {
    if (Number(m[1]) === panel) out.set(`${m[2]}/${m[3]}`, Number(m[4]));
  }
  return out;
}

const usersRun = [
  result('sink', 'users', 20_000, { peakRssMb: { sink: 674, 'bench-harness': 699 }, contentsMatch: true }),
  result('connect-sink', 'users', 10_000, { peakRssMb: { 'connect-jvm': 1661 }, contentsMatch: true }),
  result('ceiling', 'users', 40_000, { peakRssMb: { 'bench-harness': 678 } }),
  result('copy-limit', 'users', 50_000),
];
const mixRun = [
  result('sink', 'mix', 25_000, { runId: 'bench_00000002', peakRssMb: { sink: 693 }, contentsMatch: true }),
  result('connect-sink', 'mix', 10_106, { runId: 'bench_00000002', peakRssMb: { 'connect-jvm': 553 }, contentsMatch: false, details: { rowsDifferingFromExpected: 77_896 } }),
];
const sourceRun = [
  result('source', 'users', 15_254, { runId: 'bench_00000003', peakRssMb: { source: 561 } }),
  result('produce-limit', 'users', 47_947, { runId: 'bench_00000003' }),
];

describe('bench chart', () => {
  it('draws bar lengths proportional to rows/s, on one scale per panel across workloads', () => {
    const svg = renderChart(chartPanels([...usersRun, ...mixRun, ...sourceRun]), 'footer');
    const w = widths(svg);
    expect([...w.keys()].sort()).toEqual(['mix/connect-sink', 'mix/sink', 'users/ceiling', 'users/connect-sink', 'users/copy-limit', 'users/sink']);
    const sink = w.get('users/sink')!;
    // ratios of the input values (20k : 10k : 40k : 50k; mix 25k : 10,106)
    expect(w.get('users/connect-sink')! / sink).toBeCloseTo(0.5, 3);
    expect(w.get('users/ceiling')! / sink).toBeCloseTo(2, 3);
    expect(w.get('users/copy-limit')! / sink).toBeCloseTo(2.5, 3);
    expect(w.get('mix/sink')! / sink).toBeCloseTo(1.25, 3);
    expect(w.get('mix/connect-sink')! / sink).toBeCloseTo(10_106 / 20_000, 3);
    // the source panel has its own scale: 15,254 : 47,947
    const s = widths(svg, 1);
    expect(s.get('users/source')! / s.get('users/produce-limit')!).toBeCloseTo(15_254 / 47_947, 3);
  });

  it('labels values, peak RSS, wrong contents and the run of each group', () => {
    const svg = renderChart(chartPanels([...usersRun, ...mixRun, ...sourceRun]), 'from the results');
    for (const label of [
      '>20,000<',
      '>10,106<',
      '>47,947<',
      '>sink 674 MiB<',
      '>JVM 1,661 MiB<',
      '>source 561 MiB<',
      '>WRONG: 77,896 rows differ · JVM 553 MiB<',
      'users · 200,000 changes · bench_00000001 · 2026-11-30 06:13 UTC',
      'mix · 200,000 changes · bench_00000002',
      'Kafka Connect (Debezium JDBC)',
      'copy-limit: COPY of the final rows',
      'produce-limit: Node → Kafka only',
      'from the results',
    ]) {
      expect(svg).toContain(label);
    }
    // the references run inside the harness: its memory is not theirs
    expect(svg).not.toMatch(/class="note" data-panel="0" data-workload="users" data-scenario="(ceiling|copy-limit)"/);
    expect(svg.match(/MiB/g)!.length).toBe(5);
    // only the wrong bar is hatched
    expect([...svg.matchAll(/<rect class="wrong" data-panel="0" data-workload="([^"]*)" data-scenario="([^"]*)"/g)].map((m) => `${m[1]}/${m[2]}`)).toEqual(['mix/connect-sink']);
    expect(svg.match(/<text/g)!.length).toBe(svg.match(/<\/text>/g)!.length);
  });

  it('escapes text that XML gives meaning to', () => {
    expect(escapeXml(`a<b & "c" 'd'>`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
    const svg = renderChart(
      chartPanels([result('sink', 'w<x>&"y"', 100, { runId: 'r' }), result('connect-sink', 'w<x>&"y"', null, { runId: 'r', reason: '<script>alert(1)</script>' })]),
      'a & b',
    );
    expect(svg).toContain('w&lt;x&gt;&amp;&quot;y&quot; · 200,000 changes');
    expect(svg).toContain('data-workload="w&lt;x&gt;&amp;&quot;y&quot;"');
    expect(svg).toContain('did not complete: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('>a &amp; b<');
    expect(svg).not.toContain('<script');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
  });

  it('draws no bar for a run that did not complete, and says why', () => {
    const svg = renderChart(chartPanels([result('sink', 'users', 100), result('connect-sink', 'users', null, { reason: 'no progress for 120s' })]), 'f');
    expect([...widths(svg).keys()]).toEqual(['users/sink']);
    expect(svg).toContain('did not complete: no progress for 120s');
  });

  it('takes each group from one run: most scenarios, then most rows, then newest', () => {
    const older4 = usersRun.map((r) => ({ ...r, date: '2026-11-25T00:00:00.000Z', settings: { runId: 'old-full' } }));
    const newer2 = [
      result('ceiling', 'users', 1, { runId: 'new-part', date: '2026-12-01T00:00:00.000Z' }),
      result('sink', 'users', 1, { runId: 'new-part', date: '2026-12-01T00:00:00.000Z' }),
    ];
    expect(chartPanels([...older4, ...newer2])[0]!.groups.map((g) => g.runId)).toEqual(['old-full']);
    const small = [result('sink', 'users', 5, { runId: 'small', rows: 20_000, date: '2026-12-02T00:00:00.000Z' })];
    const big = [result('sink', 'users', 6, { runId: 'big', date: '2026-11-01T00:00:00.000Z' })];
    expect(chartPanels([...small, ...big])[0]!.groups.map((g) => g.runId)).toEqual(['big']);
    const a = [result('sink', 'users', 7, { runId: 'a', date: '2026-11-01T00:00:00.000Z' })];
    const b = [result('sink', 'users', 8, { runId: 'b', date: '2026-11-02T00:00:00.000Z' })];
    expect(chartPanels([...b, ...a])[0]!.groups.map((g) => g.runId)).toEqual(['b']);
    expect(chartPanels([...a, ...b])[0]!.groups.map((g) => g.runId)).toEqual(['b']);
  });

  it('orders workloads as the bench lists them, picks up any workload, and leaves out empty panels', () => {
    const panels = chartPanels([
      result('sink', 'collections', 1, { runId: 'c' }),
      result('sink', 'zeta', 1, { runId: 'z' }),
      result('sink', 'mix', 1, { runId: 'm' }),
      result('sink', 'wide', 1, { runId: 'w' }),
      result('e2e', 'users', 1, { runId: 'e' }),
    ]);
    expect(panels.map((p) => p.groups.map((g) => g.workload))).toEqual([['mix', 'wide', 'collections', 'zeta']]);
  });

  it('reads only bench results', () => {
    expect(isChartInput(usersRun[0])).toBe(true);
    expect(isChartInput({ seed: 11, durationS: 600 })).toBe(false);
    expect(isChartInput(null)).toBe(false);
    expect(isChartInput({ ...usersRun[0], rowsPerSec: '1' })).toBe(false);
  });

  it('formats numbers and ticks', () => {
    expect(thousands(1234567.4)).toBe('1,234,567');
    expect(thousands(999)).toBe('999');
    expect(niceStep(130_213)).toBe(50_000);
    expect(niceStep(47_947)).toBe(10_000);
    expect(niceStep(12)).toBe(2.5);
  });
});
