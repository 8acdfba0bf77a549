/**
 * Renders a {@link RunReport} as one self-contained HTML page: inline CSS, inline SVG charts,
 * no script, no external resource — it opens offline and from a mail attachment.
 */
import { formatCount, formatDuration } from './format.js';
import type { RunReport } from './run-report.js';
import { barChart, esc, lineChart, statusGrid, STATUS_COLORS } from './svg-charts.js';

const PALETTE = ['#2f6fde', '#e07b1a', '#7b4fd6', '#1a9e8f', '#c2417f', '#6b8e23', '#8c564b', '#17becf'];

/** Most grid rows drawn; beyond it only symbols with a failed, unsupported or pending day are. */
export const GRID_MAX_SYMBOLS = 1500;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1140px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde1e7;padding-bottom:4px}
.sub{color:#5b6475}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:20px}.card.bad b{color:#c23030}
figure{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:10px 0;padding:10px}
figcaption{font-weight:600;margin-bottom:4px}
svg .grid{stroke:#e6e9ee}svg .tick{font-size:11px;fill:#5b6475}svg .label{font-size:12px;fill:#1d2330}svg .small{font-size:10px}
.legend{font-size:12px;color:#5b6475;margin-top:4px}.key{margin-right:12px;white-space:nowrap}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px;vertical-align:-1px}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border:1px solid #dde1e7;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eef1f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px;overflow:auto;font-size:12px}
.gridwrap{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px;overflow:auto}
.note{color:#7a5a00;background:#fff8e1;border:1px solid #f0d98a;border-radius:6px;padding:6px 10px;margin:8px 0}
`;

/** The report page. */
export function renderReportHtml(report: RunReport): string {
  const t = report.totals;
  const card = (label: string, value: string, bad = false) =>
    `<div class="card${bad ? ' bad' : ''}"><b>${esc(value)}</b>${esc(label)}</div>`;
  const sections: string[] = [];

  sections.push(
    `<div class="cards">` +
      card(
        'symbols successful',
        `${formatCount(t.symbolsOk)}/${formatCount(t.symbols)}`,
        t.symbolsOk < t.symbols,
      ) +
      card('units ok', formatCount(t.ok)) +
      card('units empty', formatCount(t.empty)) +
      card('units failed', formatCount(t.failed), t.failed > 0) +
      card('unsupported', formatCount(t.unsupported)) +
      card('skipped (done before)', formatCount(t.unitsSkipped)) +
      card('rows written', formatCount(t.rowsWritten)) +
      card('provider requests', formatCount(t.requests)) +
      card('retries', formatCount(t.retries)) +
      card('duration', formatDuration(report.durationMs)) +
      `</div>`,
  );
  for (const n of report.notes) sections.push(`<div class="note">${esc(n)}</div>`);

  sections.push(`<h2 id="throughput">Throughput</h2>`);
  sections.push(
    lineChart({
      title: `Rows written per second (${formatDuration(report.throughput.bucketMs)} buckets)`,
      yLabel: 'rows/s',
      series: [{ name: 'rows/s', color: PALETTE[0] as string, points: report.throughput.rowsPerSecond }],
    }),
    lineChart({
      title: 'Units finished per second',
      yLabel: 'units/s',
      series: [
        { name: 'units/s', color: PALETTE[1] as string, points: report.throughput.unitsPerSecond },
        ...(report.workers.length > 1
          ? [
              {
                name: 'workers',
                color: PALETTE[2] as string,
                points: stepSeries(report.workers, report.durationMs),
              },
            ]
          : []),
      ],
    }),
  );

  sections.push(`<h2 id="requests">Provider requests against the limits</h2>`);
  if (report.requests.length === 0) sections.push(`<p class="sub">No provider request was recorded.</p>`);
  const byProvider = new Map<string, RunReport['requests']>();
  for (const r of report.requests) byProvider.set(r.provider, [...(byProvider.get(r.provider) ?? []), r]);
  for (const [provider, list] of byProvider) {
    const series = list.flatMap((r, i) => {
      const color = PALETTE[i % PALETTE.length] as string;
      const main = { name: `${r.endpoint} (${formatCount(r.total)} requests)`, color, points: r.points };
      if (r.limitPerWindow === undefined) return [main];
      const last = r.points[r.points.length - 1]?.t ?? 0;
      return [
        main,
        {
          name: `${r.endpoint} limit ${formatCount(r.limitPerWindow)}`,
          color,
          dashed: true,
          points: [
            { t: 0, value: r.limitPerWindow },
            { t: last, value: r.limitPerWindow },
          ],
        },
      ];
    });
    sections.push(
      lineChart({
        title: `${provider}: requests in the last ${formatDuration(report.requestWindowMs)} (rolling), per endpoint; dashed = limit`,
        yLabel: 'requests/window',
        series,
      }),
    );
  }

  sections.push(`<h2 id="latency">Latency per provider and endpoint</h2>`);
  if (report.latency.length > 0) {
    sections.push(
      barChart({
        title: 'Request latency, ms',
        unit: 'ms',
        rows: report.latency.map((l) => ({
          label: `${l.provider} ${l.endpoint}`,
          values: [l.p50Ms, l.p90Ms, l.p99Ms],
        })),
        seriesNames: ['p50', 'p90', 'p99'],
        colors: ['#2f6fde', '#e07b1a', '#d64545'],
      }),
    );
    sections.push(
      table(
        ['provider', 'endpoint', 'requests', 'mean ms', 'p50', 'p90', 'p99', 'max', 'waited for quota'],
        report.latency.map((l) => [
          l.provider,
          l.endpoint,
          num(l.count),
          num(Math.round(l.meanMs)),
          num(Math.round(l.p50Ms)),
          num(Math.round(l.p90Ms)),
          num(Math.round(l.p99Ms)),
          num(Math.round(l.maxMs)),
          l.waited > 0 ? `${formatCount(l.waited)} request(s), ${formatDuration(l.waitedMs)} in total` : '—',
        ]),
      ),
    );
  } else {
    sections.push(`<p class="sub">No request latency was recorded.</p>`);
  }
  const retries = Object.entries(report.retriesByClass);
  if (retries.length > 0) {
    sections.push(
      `<p>Retried attempts by failure class: ${retries.map(([k, v]) => `${esc(k)} ${formatCount(v)}`).join(', ')}</p>`,
    );
  }

  sections.push(`<h2 id="grid">Symbol × day status</h2>`);
  sections.push(gridSection(report));

  sections.push(`<h2 id="failures">Failures by class</h2>`);
  if (report.failures.length === 0) {
    sections.push(`<p class="sub">No unit failed.</p>`);
  } else {
    sections.push(
      barChart({
        title: 'Failed units by class',
        unit: 'units',
        rows: report.failures.map((f) => ({
          label: f.failureClass,
          values: [f.units],
          note: `${f.symbols} symbol(s)`,
        })),
        seriesNames: ['units'],
        colors: [STATUS_COLORS.failed as string],
      }),
    );
    for (const f of report.failures) {
      sections.push(
        `<h3>${esc(f.failureClass)}: ${formatCount(f.units)} unit(s), ${formatCount(f.symbols)} symbol(s)</h3>`,
        table(
          ['reason', 'units', 'example'],
          f.reasons.slice(0, 50).map((r) => [r.message, num(r.units), r.example]),
        ),
      );
    }
  }

  sections.push(`<h2 id="config">Configuration (secrets redacted)</h2>`);
  sections.push(`<pre>${esc(JSON.stringify(report.config, null, 2))}</pre>`);

  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>tickpipe run ${esc(report.runId)}</title><style>${CSS}</style></head><body><main>` +
    `<h1>tickpipe run ${esc(report.runId)}</h1>` +
    `<div class="sub">${esc(report.startedAt ?? '')}${report.finishedAt ? ` → ${esc(report.finishedAt)}` : ''}` +
    `${report.interrupted ? ' · interrupted' : ''} · built from ${esc(report.source)} at ${esc(report.generatedAt)}</div>` +
    sections.join('\n') +
    `</main></body></html>\n`
  );
}

function gridSection(report: RunReport): string {
  const g = report.grid;
  if (g.symbols.length === 0) return `<p class="sub">No unit was processed.</p>`;
  let rows = g.symbols.map((s, i) => ({ s, cells: g.cells[i] ?? [] }));
  let note = '';
  if (rows.length > GRID_MAX_SYMBOLS) {
    const bad = rows.filter((r) => r.cells.some((c) => c !== null && c !== 'ok' && c !== 'empty'));
    note = `<div class="note">${formatCount(rows.length)} symbols: showing the ${formatCount(Math.min(bad.length, GRID_MAX_SYMBOLS))} with a failed, unsupported or unfinished day.</div>`;
    rows = bad.slice(0, GRID_MAX_SYMBOLS);
  }
  return (
    note +
    `<div class="gridwrap">${statusGrid({
      symbols: rows.map((r) => r.s),
      days: g.days,
      cells: rows.map((r) => r.cells),
      details: g.details,
    })}</div>`
  );
}

function stepSeries(points: RunReport['workers'], end: number): RunReport['workers'] {
  const out: RunReport['workers'] = [];
  points.forEach((p, i) => {
    if (i > 0) out.push({ t: p.t, value: (points[i - 1] as { value: number }).value });
    out.push(p);
  });
  const last = points[points.length - 1];
  if (last) out.push({ t: Math.max(end, last.t), value: last.value });
  return out;
}

function num(v: number): { num: string } {
  return { num: formatCount(v) };
}

function table(
  head: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | { num: string }>>,
): string {
  const cell = (c: string | { num: string }) =>
    typeof c === 'string' ? `<td>${esc(c)}</td>` : `<td class="n">${esc(c.num)}</td>`;
  return (
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('') +
    `</tbody></table>`
  );
}
