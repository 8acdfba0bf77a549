import { describe, expect, it } from 'vitest';
import type { PipelineEvent, RunSummary } from '../pipeline/events.js';
import { describeEvent, createPlainReporter } from './plain-reporter.js';
import { formatCount, formatDuration } from './format.js';

const unit = {
  provider: 'simulated',
  dataType: 'ticks',
  symbol: '600000.SH',
  tradeDate: '2025-06-05',
} as const;

const summary: RunSummary = {
  runId: 'r1',
  symbolsTotal: 2,
  symbolsOk: 1,
  unitsPlanned: 6,
  unitsSkipped: 2,
  unitsOk: 4,
  unitsEmpty: 1,
  unitsFailed: 1,
  unitsUnsupported: 0,
  rowsWritten: 12345,
  rowsByTable: { ticks: 12345 },
  durationMs: 2500,
  interrupted: false,
  failedSymbols: [],
  requests: { simulated: 7 },
};

const cases: Array<[PipelineEvent, string | undefined]> = [
  [
    {
      type: 'run:started',
      runId: 'r1',
      symbols: 1500,
      tradingDays: 3,
      dataTypes: ['ticks', 'order_book'],
      providers: ['simulated'],
      storage: 'duckdb',
      jobs: 1500,
      units: 9000,
      skipped: 12,
      workers: 'auto',
    },
    'Run r1: 1,500 symbols × 3 trading day(s) × [ticks, order_book] via simulated → duckdb; 9,000 unit(s) in 1,500 job(s) to do, 12 already done; workers auto',
  ],
  [{ type: 'run:warning', message: 'tushare skipped' }, 'warning: tushare skipped'],
  [
    {
      type: 'job:started',
      jobId: 'j',
      provider: 'simulated',
      symbol: '600000.SH',
      tradeDates: ['2025-06-05'],
    },
    undefined,
  ],
  [
    { type: 'unit:succeeded', unit, status: 'ok', rows: 4321, attempts: 1 },
    'ok    ticks 600000.SH 2025-06-05 via simulated: 4,321 rows',
  ],
  [
    { type: 'unit:succeeded', unit, status: 'empty', rows: 0, attempts: 1 },
    'empty ticks 600000.SH 2025-06-05 via simulated: 0 rows',
  ],
  [
    {
      type: 'unit:failed',
      unit,
      status: 'failed',
      attempts: 5,
      error: { code: 'PROVIDER_UNAVAILABLE', message: 'HTTP 503', retryable: true },
    },
    'FAILED ticks 600000.SH 2025-06-05 via simulated after 5 attempt(s): HTTP 503',
  ],
  [
    {
      type: 'unit:failed',
      unit,
      status: 'unsupported',
      attempts: 1,
      error: { code: 'PROVIDER_UNSUPPORTED', message: 'no ticks', retryable: false },
    },
    'UNSUPPORTED ticks 600000.SH 2025-06-05 via simulated after 1 attempt(s): no ticks',
  ],
  [
    {
      type: 'unit:retrying',
      jobId: 'j',
      provider: 'tushare',
      dataType: 'bars_1m',
      symbol: '600000.SH',
      attempt: 2,
      delayMs: 1500,
      error: { code: 'PROVIDER_RATE_LIMITED', message: 'slow', retryable: true },
    },
    'retry bars_1m 600000.SH via tushare (attempt 2 in 1.5 s): slow',
  ],
  [
    {
      type: 'unit:retrying',
      jobId: 'j',
      provider: 'tushare',
      dataType: 'bars_1m',
      symbol: '600000.SH',
      attempt: 3,
      delayMs: 0,
      error: { code: 'PROVIDER_UNAVAILABLE', message: 'reset', retryable: true },
    },
    'retry bars_1m 600000.SH via tushare (attempt 3): reset',
  ],
  [
    { type: 'unit:fallback', unit: { ...unit, provider: 'tushare' }, to: 'yahoo', reason: 'no permission' },
    'fallback ticks 600000.SH 2025-06-05: tushare → yahoo (no permission)',
  ],
  [
    { type: 'rate-limit:waiting', provider: 'tushare', endpoint: 'stk_mins', waitMs: 850, keyIndex: 1 },
    'rate limit: waiting 850 ms for tushare "stk_mins" (key #2)',
  ],
  [
    { type: 'rate-limit:waiting', provider: 'yahoo', endpoint: 'chart', waitMs: 65_000 },
    'rate limit: waiting 1 min 05 s for yahoo "chart"',
  ],
  [
    { type: 'rate-limit:learned', provider: 'tushare', endpoint: 'stk_mins', limit: 50 },
    'rate limit: tushare "stk_mins" allows 50/min; using that from now on',
  ],
  [
    { type: 'provider:key-disabled', provider: 'tushare', keyIndex: 0, reason: 'quota used up' },
    'warning: tushare API key #1 disabled: quota used up',
  ],
  [
    { type: 'circuit:changed', provider: 'yahoo', state: 'half-open' },
    'circuit breaker for yahoo: half-open',
  ],
  [
    { type: 'circuit:changed', provider: 'yahoo', state: 'open', pauseMs: 5000 },
    'circuit breaker for yahoo: open after repeated failures; pausing 5.0 s before a probe',
  ],
  [{ type: 'workers:changed', workers: 12 }, 'workers: 12'],
  [{ type: 'progress', unitsDone: 1, unitsTotal: 2, rowsWritten: 3, inFlight: 1, workers: 1 }, undefined],
  [
    { type: 'run:interrupting', graceMs: 10_000 },
    'Interrupted: letting in-flight units finish (up to 10.0 s); press Ctrl-C again to stop now',
  ],
  [
    { type: 'run:finished', summary },
    'Run r1 finished in 2.5 s: 4 ok, 1 empty, 1 failed, 0 unsupported, 2 skipped (already done); 12,345 rows written',
  ],
];

describe('describeEvent', () => {
  it.each(cases.map(([e, line]) => [e.type, e, line] as const))('%s', (_type, event, line) => {
    expect(describeEvent(event)).toBe(line);
  });

  it('covers every event type', () => {
    expect(new Set(cases.map(([e]) => e.type)).size).toBe(15);
  });
});

describe('createPlainReporter', () => {
  it('writes one line per event and nothing for progress or job:started', () => {
    const lines: string[] = [];
    const r = createPlainReporter((l) => lines.push(l));
    for (const [e] of cases) r.onEvent(e);
    expect(lines).toEqual(cases.map(([, l]) => l).filter((l) => l !== undefined));
    expect(lines.some((l) => l.includes('\n'))).toBe(false);
  });
});

describe('format helpers', () => {
  it('formatCount groups thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
  });

  it('formatDuration picks ms, s, or min', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(1000)).toBe('1.0 s');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(60_000)).toBe('1 min 00 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
  });
});

describe('store outage lines', () => {
  it('say what waits, for how long, and when it goes on', () => {
    expect(
      describeEvent({
        type: 'store:waiting',
        store: 'ClickHouse',
        budgetMs: 300_000,
        reason: 'connect ECONNREFUSED',
      }),
    ).toBe(
      `waiting for ClickHouse: it does not answer (connect ECONNREFUSED); new work paused, writes retry for up to ${formatDuration(300_000)}`,
    );
    expect(describeEvent({ type: 'store:recovered', store: 'ClickHouse', downMs: 12_000 })).toBe(
      `ClickHouse answers again after ${formatDuration(12_000)}; going on`,
    );
    expect(
      describeEvent({
        type: 'store:unavailable',
        store: 'ClickHouse',
        downMs: 300_000,
        reason: 'connect ECONNREFUSED',
      }),
    ).toMatch(/^ClickHouse still unreachable after .*: units waiting to be stored fail; re-run to resume$/);
  });
});
