import { describe, expect, it } from 'vitest';
import type { PipelineEvent, RunSummary } from '../pipeline/events.js';
import { createProgressReporter } from './progress-reporter.js';

function fakeStream(columns?: number) {
  const writes: string[] = [];
  return {
    writes,
    stream: { write: (s: string) => writes.push(s), ...(columns !== undefined ? { columns } : {}) },
    /** Newline-terminated lines with the clear-line sequences removed. */
    lines: () =>
      writes
        .join('')
        .split('\n')
        .map((l) => l.split('\r\x1b[2K').pop() ?? '')
        .filter((l) => l.length > 0),
  };
}

const unit = {
  provider: 'simulated',
  dataType: 'ticks',
  symbol: '600000.SH',
  tradeDate: '2025-06-05',
} as const;

const summary: RunSummary = {
  runId: 'r1',
  symbolsTotal: 1,
  symbolsOk: 0,
  unitsPlanned: 2,
  unitsSkipped: 0,
  unitsOk: 1,
  unitsEmpty: 0,
  unitsFailed: 1,
  unitsUnsupported: 0,
  rowsWritten: 100,
  rowsByTable: {},
  durationMs: 1000,
  interrupted: false,
  failedSymbols: [],
  requests: {},
};

const started: PipelineEvent = {
  type: 'run:started',
  runId: 'r1',
  symbols: 1,
  tradingDays: 1,
  dataTypes: ['ticks'],
  providers: ['simulated'],
  storage: 'memory',
  jobs: 1,
  units: 2,
  skipped: 0,
  workers: 4,
};

describe('createProgressReporter', () => {
  it('draws a progress bar and prints failures and the summary as lines', () => {
    let now = 1_000_000;
    const f = fakeStream(200);
    const r = createProgressReporter(f.stream, () => now);
    r.onEvent(started);
    now += 500;
    r.onEvent({ type: 'progress', unitsDone: 1, unitsTotal: 2, rowsWritten: 100, inFlight: 1, workers: 4 });
    r.onEvent({
      type: 'unit:failed',
      unit,
      status: 'failed',
      attempts: 5,
      error: { code: 'PROVIDER_UNAVAILABLE', message: 'HTTP 503', retryable: true },
    });
    r.onEvent({ type: 'rate-limit:waiting', provider: 'tushare', endpoint: 'stk_mins', waitMs: 2000 });
    now += 500;
    r.onEvent({ type: 'progress', unitsDone: 2, unitsTotal: 2, rowsWritten: 100, inFlight: 0, workers: 4 });
    r.onEvent({ type: 'run:finished', summary });

    const out = f.writes.join('');
    expect(out).toContain(
      '[############............] 50% 1/2 units · 100 rows (200/s) · 1/4 workers · 0 failed',
    );
    expect(out).toContain('1 failed');
    expect(out).toContain('waiting 2.0 s for tushare stk_mins quota');
    expect(out).toContain('100%');
    const lines = f.lines();
    expect(lines).toContain('FAILED ticks 600000.SH 2025-06-05 via simulated after 5 attempt(s): HTTP 503');
    expect(lines.some((l) => l.startsWith('Run r1: 1 symbols'))).toBe(true);
    expect(lines.some((l) => l.startsWith('Run r1 finished in 1.0 s'))).toBe(true);
  });

  it('truncates the live line to the terminal width', () => {
    let now = 0;
    const f = fakeStream(40);
    const r = createProgressReporter(f.stream, () => now);
    r.onEvent(started);
    now += 1000;
    r.onEvent({ type: 'progress', unitsDone: 1, unitsTotal: 2, rowsWritten: 1, inFlight: 1, workers: 4 });
    for (const w of f.writes) {
      const visible = w.replace('\r\x1b[2K', '').replace(/\n$/, '');
      if (w.startsWith('[')) expect(visible.length).toBeLessThanOrEqual(39);
    }
    expect(f.writes.some((w) => w.startsWith('['))).toBe(true);
  });

  it('throttles redraws of progress to every 100 ms', () => {
    let now = 10_000;
    const f = fakeStream();
    const r = createProgressReporter(f.stream, () => now);
    r.onEvent(started);
    const before = f.writes.length;
    now += 150;
    for (let i = 0; i < 50; i++) {
      r.onEvent({ type: 'progress', unitsDone: 1, unitsTotal: 2, rowsWritten: i, inFlight: 1, workers: 4 });
    }
    // One redraw = clear + line.
    expect(f.writes.length - before).toBe(2);
  });

  it('handles every event type without throwing, even without a width', () => {
    const f = fakeStream();
    const r = createProgressReporter(f.stream);
    const events: PipelineEvent[] = [
      started,
      { type: 'run:warning', message: 'w' },
      { type: 'job:started', jobId: 'j', provider: 'p', symbol: 's', tradeDates: [] },
      { type: 'unit:succeeded', unit, status: 'ok', rows: 1, attempts: 1 },
      {
        type: 'unit:retrying',
        jobId: 'j',
        provider: 'p',
        dataType: 'ticks',
        symbol: 's',
        attempt: 2,
        delayMs: 1,
        error: { code: 'PROVIDER_UNAVAILABLE', message: 'm', retryable: true },
      },
      { type: 'unit:fallback', unit, to: 'yahoo', reason: 'r' },
      { type: 'rate-limit:learned', provider: 'p', endpoint: 'e', limit: 5 },
      { type: 'provider:key-disabled', provider: 'p', keyIndex: 1, reason: 'r' },
      { type: 'circuit:changed', provider: 'p', state: 'open' },
      { type: 'workers:changed', workers: 3 },
      { type: 'run:interrupting', graceMs: 1000 },
      { type: 'progress', unitsDone: 0, unitsTotal: 0, rowsWritten: 0, inFlight: 0, workers: 0 },
      { type: 'run:finished', summary },
    ];
    expect(() => events.forEach((e) => r.onEvent(e))).not.toThrow();
    const lines = f.lines();
    expect(lines).toContain('warning: w');
    expect(lines).toContain('warning: p API key #2 disabled: r');
    expect(lines.some((l) => l.startsWith('fallback ticks 600000.SH'))).toBe(true);
  });
});

describe('createProgressReporter on a timer', () => {
  function timed(columns = 200, color = false) {
    let now = 50_000;
    const ticks: Array<() => void> = [];
    let stopped = 0;
    const f = fakeStream(columns);
    const stream = {
      write: f.stream.write,
      get columns() {
        return columns;
      },
    };
    const r = createProgressReporter(stream, {
      now: () => now,
      color,
      every: (_ms, fn) => {
        ticks.push(fn);
        return () => stopped++;
      },
    });
    return {
      f,
      r,
      advance: (ms: number) => {
        now += ms;
        for (const t of ticks) t();
      },
      resize: (c: number) => {
        columns = c;
      },
      last: () => f.writes.filter((w) => w.startsWith('[')).at(-1) ?? '',
      stopped: () => stopped,
    };
  }

  it('redraws during a rate-limit wait with a countdown, then drops it when over', () => {
    const t = timed();
    t.r.onEvent(started);
    t.r.onEvent({ type: 'rate-limit:waiting', provider: 'tushare', endpoint: 'stk_mins', waitMs: 12_000 });
    expect(t.last()).toContain('waiting 12.0 s for tushare stk_mins quota');
    t.advance(5_000);
    // No event arrived: the timer alone moved the line.
    expect(t.last()).toContain('waiting 7.0 s for tushare stk_mins quota');
    t.advance(8_000);
    expect(t.last()).not.toContain('waiting');
  });

  it('shows breaker state with the time to the probe, retries, and store conditions', () => {
    const t = timed();
    t.r.onEvent(started);
    t.r.onEvent({ type: 'circuit:changed', provider: 'tushare', state: 'open', pauseMs: 5_000 });
    t.r.onEvent({
      type: 'unit:retrying',
      jobId: 'j',
      provider: 'tushare',
      dataType: 'bars_1m',
      symbol: 's',
      attempt: 2,
      delayMs: 1,
      error: { code: 'PROVIDER_UNAVAILABLE', message: 'm', retryable: true },
    });
    t.r.setCondition('store', 'ClickHouse unreachable, retrying');
    t.advance(1_000);
    expect(t.last()).toContain('tushare circuit open, probe in 4.0 s');
    expect(t.last()).toContain('1 retries');
    expect(t.last()).toContain('ClickHouse unreachable, retrying');
    t.r.onEvent({ type: 'circuit:changed', provider: 'tushare', state: 'closed' });
    t.r.setCondition('store', undefined);
    t.advance(250);
    expect(t.last()).not.toContain('circuit');
    expect(t.last()).not.toContain('ClickHouse');
  });

  it('follows terminal resizes and stops its timer when the run ends', () => {
    const t = timed(200);
    t.r.onEvent(started);
    t.advance(250);
    expect(t.last().replace('\r\x1b[2K', '').length).toBeGreaterThan(60);
    t.resize(50);
    t.advance(250);
    expect(t.last().length).toBeLessThanOrEqual(49);
    t.r.onEvent({ type: 'run:finished', summary });
    expect(t.stopped()).toBe(1);
  });

  it('colours failures and waits only when asked (NO_COLOR turns it off in the CLI)', () => {
    const plain = timed(200, false);
    plain.r.onEvent(started);
    plain.r.onEvent({ type: 'rate-limit:waiting', provider: 'p', endpoint: 'e', waitMs: 3_000 });
    expect(plain.f.writes.join('')).not.toContain('\x1b[3');
    const coloured = timed(200, true);
    coloured.r.onEvent(started);
    coloured.r.onEvent({ type: 'rate-limit:waiting', provider: 'p', endpoint: 'e', waitMs: 3_000 });
    expect(coloured.last()).toContain('\x1b[33m · waiting 3.0 s for p e quota\x1b[0m');
  });
});
