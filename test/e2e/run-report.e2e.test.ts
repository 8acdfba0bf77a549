/**
 * End-to-end: a run with failures writes RUN_ID.json and a self-contained RUN_ID.html that
 * renders in headless Chromium (charts drawn, no console error, nothing loaded from outside);
 * `tickpipe report RUN_ID` rebuilds both from the ledger and the kept events file.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/run-report.js';
import { inspectPage } from '../support/browser.js';
import { createWorkspace, simulatedConfig, type Workspace } from '../support/cli.js';

let ws: Workspace | undefined;
afterEach(() => ws?.cleanup());

const RANGE = ['--start-date', '2025-06-05', '--end-date', '2025-06-06'];

function runIdOf(stdout: string): string {
  const m = /^Run (\S+):/m.exec(stdout);
  if (!m?.[1]) throw new Error(`no run id in:\n${stdout}`);
  return m[1];
}

describe('run report', () => {
  it('a run with failures writes JSON + offline HTML that Chromium renders; report RUN_ID rebuilds it', async () => {
    // Four in ten requests fail and nothing is retried: some units fail, most succeed.
    ws = createWorkspace();
    ws.writeConfig({
      ...simulatedConfig(ws.dbPath, { fail_rate: 0.4 }),
      ingestion: { retry: { max_attempts: 1 } },
    });
    const cfg = ['--providers-config', ws.configPath];
    const reportDir = join(ws.dir, 'out');
    const r = await ws.run([
      'run',
      '--symbols',
      'ALL',
      ...RANGE,
      '--workers',
      '3',
      '--log-format',
      'plain',
      '--report-dir',
      reportDir,
      '--keep-events',
      ...cfg,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    const runId = runIdOf(r.stdout);
    const jsonPath = join(reportDir, `${runId}.json`);
    const htmlPath = join(reportDir, `${runId}.html`);
    expect(r.stdout).toContain(`Report: ${htmlPath}`);
    expect(r.stdout.indexOf('Report: ')).toBeLessThan(r.stdout.indexOf('Data ingestion completed'));
    expect(existsSync(join(reportDir, `${runId}.events.ndjson`))).toBe(true);

    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as RunReport;
    const failedLines = r.stdout.split('\n').filter((l) => l.startsWith('FAILED ')).length;
    const okLines = r.stdout.split('\n').filter((l) => l.startsWith('ok ')).length;
    expect(failedLines).toBeGreaterThan(0);
    expect(report.runId).toBe(runId);
    expect(report.totals.failed).toBe(failedLines);
    expect(report.totals.ok).toBe(okLines);
    const successful = /Successful: (\d+)\/(\d+)/.exec(r.stdout);
    expect([report.totals.symbolsOk, report.totals.symbols]).toEqual([
      Number(successful?.[1]),
      Number(successful?.[2]),
    ]);
    // 6 symbols × 2 trading days; every failed unit shows in a red cell with its reason.
    expect(report.grid.symbols).toHaveLength(6);
    expect(report.grid.days).toEqual(['2025-06-05', '2025-06-06']);
    const redCells = report.grid.cells.flat().filter((c) => c === 'failed').length;
    expect(redCells).toBeGreaterThan(0);
    expect(Object.values(report.grid.details).join('\n')).toMatch(/FAILED|simulated/i);
    expect(report.failures[0]?.failureClass).toBe('transient');
    expect(report.failures.reduce((a, f) => a + f.units, 0)).toBe(failedLines);
    // Every request went through the instrumented gate; the simulated market's limit is drawn.
    const market = report.requests.find((q) => q.provider === 'simulated');
    expect(market?.total).toBeGreaterThan(0);
    expect(report.totals.requests).toBe(market?.total);
    expect(report.latency[0]).toMatchObject({ provider: 'simulated', count: market?.total });
    expect(report.throughput.rowsPerSecond.some((p) => p.value > 0)).toBe(true);
    expect((report.config as { config: { storage: unknown } }).config.storage).toBeDefined();

    const html = readFileSync(htmlPath, 'utf8');
    expect(html).not.toMatch(/<script|<link|\ssrc=|\shref=/i);
    const page = await inspectPage(htmlPath, [
      '#throughput + figure svg',
      '#requests + figure svg',
      '#latency + figure svg',
      '.gridwrap svg',
      'rect.cell.failed',
      'rect.cell.ok',
    ]);
    expect(page.consoleErrors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(page.externalRequests).toEqual([]);
    for (const sel of [
      '#throughput + figure svg',
      '#requests + figure svg',
      '#latency + figure svg',
      '.gridwrap svg',
    ]) {
      const el = page.elements[sel];
      expect(el?.count, sel).toBeGreaterThan(0);
      // Not blank: lines/bars in several colours over a fair share of the area.
      expect(el?.pixels?.width, sel).toBeGreaterThan(100);
      expect(el?.pixels?.colors, sel).toBeGreaterThan(3);
      expect(el?.pixels?.inkShare, sel).toBeGreaterThan(0.01);
    }
    expect(page.elements['rect.cell.failed']?.count).toBe(redCells);

    // Rebuild: delete both files, `tickpipe report` writes them again from ledger + events.
    rmSync(jsonPath);
    rmSync(htmlPath);
    const again = await ws.run(['report', runId, '--report-dir', reportDir, ...cfg]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('ledger+events');
    const rebuilt = JSON.parse(readFileSync(jsonPath, 'utf8')) as RunReport;
    expect(rebuilt.grid).toEqual(report.grid);
    expect(rebuilt.failures).toEqual(report.failures);
    expect(rebuilt.totals.failed).toBe(report.totals.failed);
    expect(rebuilt.requests.map((q) => q.total)).toEqual(report.requests.map((q) => q.total));
    expect(existsSync(htmlPath)).toBe(true);

    // Without the events file: the ledger alone still gives the grid and the failures.
    rmSync(join(reportDir, `${runId}.events.ndjson`));
    const ledgerOnly = await ws.run(['report', runId, '--report-dir', reportDir, ...cfg]);
    expect(ledgerOnly.code).toBe(0);
    const fromLedger = JSON.parse(readFileSync(jsonPath, 'utf8')) as RunReport;
    expect(fromLedger.source).toBe('ledger');
    expect(fromLedger.grid).toEqual(report.grid);
    expect(fromLedger.notes.join(' ')).toContain('--keep-events');
  });

  it('--no-report writes nothing; an unknown run id is a usage error', async () => {
    ws = createWorkspace();
    const cfg = ['--providers-config', ws.configPath];
    const r = await ws.run([
      'run',
      '--symbols',
      '600000.SH',
      ...RANGE,
      '--no-report',
      '--log-format',
      'plain',
      ...cfg,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Report:');
    expect(existsSync(join(ws.dir, 'reports'))).toBe(false);
    const bad = await ws.run(['report', 'no-such-run', ...cfg]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no-such-run');
    expect(existsSync(join(ws.dir, 'reports')) ? readdirSync(join(ws.dir, 'reports')) : []).toEqual([]);
  });
});
