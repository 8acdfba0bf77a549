/**
 * Hand-rolled SVG charts for the run report. Rendered in Node as markup, so the HTML needs no
 * script and no library: it opens offline, prints, and cannot fail with a console error. Hover
 * details use SVG `<title>` elements.
 */
import type { SeriesPoint } from './run-report.js';

/** Escapes text for HTML/SVG content and attribute values. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** One line of a line chart. */
export interface LineSeries {
  name: string;
  color: string;
  points: readonly SeriesPoint[];
  /** Dashed (limits). */
  dashed?: boolean;
}

const W = 720;
const H = 220;
const PAD = { left: 56, right: 16, top: 14, bottom: 30 };

/** A readable axis maximum ≥ v (1, 2, 5 × 10^n). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** `1234` → `1.2k`. */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function timeLabel(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m${String(s % 60).padStart(2, '0')}`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}`;
}

/** A line chart over time (x = ms since start). */
export function lineChart(params: { title: string; yLabel: string; series: readonly LineSeries[] }): string {
  const all = params.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p.t));
  let yTop = 0;
  for (const p of all) if (p.value > yTop) yTop = p.value;
  const yMax = niceMax(yTop * 1.05);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (t / xMax) * iw;
  const y = (v: number) => PAD.top + ih - (v / yMax) * ih;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`,
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${shortNumber(v)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const t = (xMax * i) / 5;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${H - 10}" text-anchor="middle" class="tick">${timeLabel(t)}</text>`,
    );
  }
  for (const s of params.series) {
    if (s.points.length === 0) continue;
    const d = s.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`)
      .join('');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${esc(s.name)}</title></path>`,
    );
  }
  const legend = params.series
    .map(
      (s) =>
        `<span class="key"><i style="background:${s.color}${s.dashed ? ';opacity:.6' : ''}"></i>${esc(s.name)}</span>`,
    )
    .join(' ');
  return (
    `<figure><figcaption>${esc(params.title)}</figcaption>` +
    `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(params.title)}">` +
    `<text x="12" y="${PAD.top + ih / 2}" transform="rotate(-90 12 ${PAD.top + ih / 2})" text-anchor="middle" class="tick">${esc(params.yLabel)}</text>` +
    parts.join('') +
    `</svg><div class="legend">${legend}</div></figure>`
  );
}

/** A horizontal bar chart: one row per label, one bar per value (grouped). */
export function barChart(params: {
  title: string;
  unit: string;
  rows: ReadonlyArray<{ label: string; values: readonly number[]; note?: string }>;
  seriesNames: readonly string[];
  colors: readonly string[];
}): string {
  const n = params.seriesNames.length;
  const barH = 12;
  const rowH = n * barH + 10;
  const labelW = 220;
  const h = PAD.top + params.rows.length * rowH + 10;
  let top = 0;
  for (const r of params.rows) for (const v of r.values) if (v > top) top = v;
  const max = niceMax(top);
  const iw = W - labelW - 70;
  const parts: string[] = [];
  params.rows.forEach((r, i) => {
    const y0 = PAD.top + i * rowH;
    parts.push(
      `<text x="${labelW - 8}" y="${y0 + (n * barH) / 2 + 4}" text-anchor="end" class="label">${esc(r.label)}</text>`,
    );
    r.values.forEach((v, j) => {
      const w = Math.max(1, (v / max) * iw);
      const name = params.seriesNames[j] ?? '';
      parts.push(
        `<rect x="${labelW}" y="${y0 + j * barH}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${params.colors[j] ?? '#888'}"><title>${esc(`${r.label} ${name}: ${shortNumber(v)} ${params.unit}${r.note ? ` (${r.note})` : ''}`)}</title></rect>`,
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${y0 + j * barH + barH - 3}" class="tick">${shortNumber(v)}</text>`,
      );
    });
  });
  const legend =
    n > 1
      ? `<div class="legend">${params.seriesNames.map((s, j) => `<span class="key"><i style="background:${params.colors[j] ?? '#888'}"></i>${esc(s)}</span>`).join(' ')}</div>`
      : '';
  return (
    `<figure><figcaption>${esc(params.title)}</figcaption>` +
    `<svg viewBox="0 0 ${W} ${h}" width="100%" role="img" aria-label="${esc(params.title)}">${parts.join('')}</svg>${legend}</figure>`
  );
}

/** Colors of grid statuses. */
export const STATUS_COLORS: Record<string, string> = {
  ok: '#2e9d5b',
  empty: '#a7d8b9',
  failed: '#d64545',
  unsupported: '#b0b0b0',
  pending: '#f0b429',
};

/** The symbol × day status grid. */
export function statusGrid(params: {
  symbols: readonly string[];
  days: readonly string[];
  cells: ReadonlyArray<ReadonlyArray<string | null>>;
  details: Readonly<Record<string, string>>;
}): string {
  const { symbols, days } = params;
  const cell = Math.max(4, Math.min(16, Math.floor(640 / Math.max(1, days.length))));
  const rowH = Math.max(4, Math.min(14, cell));
  const labelW = symbols.length <= 400 ? 90 : 0;
  const headH = days.length <= 40 ? 70 : 16;
  const w = labelW + days.length * cell + 10;
  const h = headH + symbols.length * rowH + 4;
  const parts: string[] = [];
  if (days.length <= 40) {
    days.forEach((d, j) => {
      const cx = labelW + j * cell + cell / 2;
      parts.push(
        `<text x="${cx}" y="${headH - 4}" transform="rotate(-60 ${cx} ${headH - 4})" class="tick">${esc(d)}</text>`,
      );
    });
  } else {
    parts.push(
      `<text x="${labelW}" y="12" class="tick">${esc(days[0] ?? '')} … ${esc(days[days.length - 1] ?? '')}</text>`,
    );
  }
  symbols.forEach((s, i) => {
    const y0 = headH + i * rowH;
    if (labelW > 0)
      parts.push(
        `<text x="${labelW - 6}" y="${y0 + rowH - 3}" text-anchor="end" class="label small">${esc(s)}</text>`,
      );
    const row = params.cells[i] ?? [];
    days.forEach((d, j) => {
      const st = row[j];
      if (!st) return;
      const detail = params.details[`${s}|${d}`];
      parts.push(
        `<rect x="${labelW + j * cell}" y="${y0}" width="${cell - 1}" height="${rowH - 1}" fill="${STATUS_COLORS[st] ?? '#888'}" class="cell ${st}"><title>${esc(`${s} ${d}: ${st}${detail ? `\n${detail}` : ''}`)}</title></rect>`,
      );
    });
  });
  const legend = Object.entries(STATUS_COLORS)
    .map(([k, c]) => `<span class="key"><i style="background:${c}"></i>${k}</span>`)
    .join(' ');
  return `<svg viewBox="0 0 ${w} ${h}" width="${Math.min(w, 1100)}" role="img" aria-label="symbol by day status">${parts.join('')}</svg><div class="legend">${legend}</div>`;
}
