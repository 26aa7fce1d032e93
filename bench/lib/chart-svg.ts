/**
 * Draws the bench chart (chart-data.ts panels) as one SVG string, by hand: no dependency, and the
 * same input always gives the same bytes, so a regenerated chart diffs only where a number moved.
 *
 * Layout: per panel a title, then per workload a header line and one horizontal bar per series;
 * every bar of a panel shares one linear scale starting at 0 (bar length ∝ rows/s), with gridlines
 * and tick labels. The value sits after the bar; peak RSS and wrong contents in a column to the right.
 */
import { thousands, type ChartBar, type ChartGroup, type ChartPanel } from './chart-data.js';

const WIDTH = 1100;
const LABEL_RIGHT = 250;
const BAR_X = 260;
const BAR_MAX = 470;
const NOTE_X = BAR_X + BAR_MAX + 62;
const ROW = 18;
const BAR_H = 13;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

const COLORS: Record<string, string> = {
  sink: '#2563eb',
  source: '#2563eb',
  'connect-sink': '#ea580c',
  ceiling: '#6b7280',
  'copy-limit': '#a8a29e',
  'produce-limit': '#a8a29e',
};
const RED = '#b91c1c';

/** Text and attribute values: the five characters XML gives meaning to. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A round tick step (1, 2, 2.5 or 5 × 10^k) giving at most about 5 intervals up to `max`. */
export function niceStep(max: number): number {
  if (!(max > 0)) return 1;
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

const num = (x: number) => String(Math.round(x * 100) / 100);

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(s)}</text>`;
}

function when(iso: string): string {
  return iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

function groupHeader(g: ChartGroup): string {
  return `${g.workload} · ${thousands(g.rows)} changes · ${g.runId} · ${when(g.date)}`;
}

function barRow(panel: number, g: ChartGroup, b: ChartBar, y: number, scale: number): string[] {
  const out = [text(LABEL_RIGHT, y + BAR_H - 2, b.label, 'text-anchor="end"')];
  const data = `data-panel="${panel}" data-workload="${escapeXml(g.workload)}" data-scenario="${escapeXml(b.scenario)}"`;
  if (b.value === null) {
    out.push(text(BAR_X + 4, y + BAR_H - 2, b.note, `fill="${RED}" class="missing" ${data}`));
    return out;
  }
  const w = b.value * scale;
  const fill = COLORS[b.scenario] ?? '#525252';
  out.push(`<rect class="bar" ${data} x="${BAR_X}" y="${num(y)}" width="${num(w)}" height="${BAR_H}" fill="${fill}"/>`);
  if (b.wrong) out.push(`<rect class="wrong" ${data} x="${BAR_X}" y="${num(y)}" width="${num(w)}" height="${BAR_H}" fill="url(#wrong)"/>`);
  out.push(text(BAR_X + w + 4, y + BAR_H - 2, thousands(b.value), `class="value" ${data}`));
  if (b.note) out.push(text(NOTE_X, y + BAR_H - 2, b.note, b.wrong ? `fill="${RED}" font-weight="bold" class="note" ${data}` : `fill="#404040" class="note" ${data}`));
  return out;
}

function drawPanel(p: ChartPanel, index: number, top: number): { svg: string[]; bottom: number } {
  const values = p.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0));
  const step = niceStep(Math.max(0, ...values));
  const axisMax = Math.max(step, Math.ceil(Math.max(0, ...values) / step) * step);
  const scale = BAR_MAX / axisMax;
  const svg: string[] = [text(10, top + 16, p.title, 'font-size="15" font-weight="bold"'), text(10, top + 33, p.subtitle, 'fill="#404040"')];
  let y = top + 50;
  const barsTop = y;
  const rows: string[] = [text(NOTE_X, y - 2, 'peak RSS', 'fill="#404040" font-style="italic"')];
  for (const g of p.groups) {
    // a white halo keeps the gridlines that cross the header out of its letters
    rows.push(text(10, y + 13, groupHeader(g), 'font-weight="bold" stroke="#ffffff" stroke-width="4" paint-order="stroke"'));
    y += ROW + 2;
    for (const b of g.bars) {
      rows.push(...barRow(index, g, b, y, scale));
      y += ROW;
    }
    y += 8;
  }
  // gridlines first, so the bars paint over them
  for (let v = 0; v <= axisMax + step / 2; v += step) {
    const x = BAR_X + v * scale;
    svg.push(`<line x1="${num(x)}" y1="${barsTop}" x2="${num(x)}" y2="${num(y)}" stroke="${v === 0 ? '#404040' : '#e5e5e5'}"/>`);
    svg.push(text(x, y + 14, thousands(v), 'text-anchor="middle" fill="#404040" class="tick"'));
  }
  svg.push(...rows);
  return { svg, bottom: y + 24 };
}

/** The whole chart; `footer` says where the numbers come from. */
export function renderChart(panels: ChartPanel[], footer: string): string {
  const body: string[] = [];
  let y = 8;
  if (panels.length === 0) {
    body.push(text(10, 30, 'no bench results with sink or source scenarios'));
    y = 40;
  }
  panels.forEach((p, i) => {
    const d = drawPanel(p, i, y);
    body.push(...d.svg);
    y = d.bottom + 12;
  });
  body.push(text(10, y + 4, footer, 'fill="#737373" font-size="11"'));
  const height = Math.ceil(y + 14);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT} font-size="12">`,
    '<defs><pattern id="wrong" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#ffffff" fill-opacity="0.55"/></pattern></defs>',
    // an opaque background: the chart stays readable on a dark page
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
