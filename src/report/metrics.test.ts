import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../pipeline/events.js';
import { createPipelineMetrics, startMetricsServer } from './metrics.js';

const SECRET = 'tok-9f8e7d6c5b4a39281706';
const unit = {
  provider: 'tushare',
  dataType: 'bars_1m',
  symbol: '600000.SH',
  tradeDate: '2025-06-05',
} as const;
const events: PipelineEvent[] = [
  {
    type: 'run:started',
    runId: 'r',
    symbols: 1,
    tradingDays: 1,
    dataTypes: ['bars_1m'],
    providers: ['tushare'],
    storage: 'duckdb',
    jobs: 1,
    units: 3,
    skipped: 0,
    workers: 4,
  },
  {
    type: 'provider:request',
    provider: 'tushare',
    endpoint: 'stk_mins',
    keyIndex: 0,
    waitMs: 1500,
    latencyMs: 120,
  },
  {
    type: 'provider:request',
    provider: 'tushare',
    endpoint: 'stk_mins',
    keyIndex: 0,
    waitMs: 0,
    latencyMs: 80,
  },
  { type: 'provider:answered', provider: 'tushare', dataType: 'bars_1m', outcome: 'ok', latencyMs: 100 },
  {
    type: 'provider:answered',
    provider: 'tushare',
    dataType: 'bars_1m',
    outcome: 'rate_limited',
    latencyMs: 10,
  },
  {
    type: 'unit:retrying',
    jobId: 'j',
    provider: 'tushare',
    dataType: 'bars_1m',
    symbol: '600000.SH',
    attempt: 2,
    delayMs: 5,
    error: { code: 'PROVIDER_RATE_LIMITED', message: `limit for token ${SECRET}`, retryable: true },
  },
  { type: 'unit:succeeded', unit, status: 'ok', rows: 241, attempts: 1 },
  {
    type: 'unit:succeeded',
    unit: { ...unit, tradeDate: '2025-06-06' },
    status: 'empty',
    rows: 0,
    attempts: 1,
  },
  {
    type: 'unit:failed',
    unit: { ...unit, tradeDate: '2025-06-09' },
    status: 'failed',
    attempts: 5,
    error: { code: 'PROVIDER_UNAVAILABLE', message: `down ${SECRET}`, retryable: true },
  },
  { type: 'circuit:changed', provider: 'tushare', state: 'open', pauseMs: 5000 },
  { type: 'progress', unitsDone: 3, unitsTotal: 3, rowsWritten: 241, inFlight: 2, workers: 4 },
];

describe('createPipelineMetrics', () => {
  it('turns events into Prometheus samples, with no message text (so no secret) in them', async () => {
    const m = createPipelineMetrics({ processMetrics: false });
    for (const e of events) m.onEvent(e);
    m.observeStoreWrite({ store: 'duckdb', durationMs: 30, ok: true });
    const text = await m.registry.metrics();
    expect(text).toContain('tickpipe_units_total{status="ok",data_type="bars_1m",provider="tushare"} 1');
    expect(text).toContain('tickpipe_units_total{status="failed",data_type="bars_1m",provider="tushare"} 1');
    expect(text).toContain('tickpipe_rows_written_total{table="bars"} 241');
    expect(text).toContain('tickpipe_provider_requests_total{provider="tushare",endpoint="stk_mins"} 2');
    expect(text).toContain(
      'tickpipe_provider_calls_total{provider="tushare",data_type="bars_1m",outcome="rate_limited"} 1',
    );
    expect(text).toContain('tickpipe_rate_limit_waits_total{provider="tushare",endpoint="stk_mins"} 1');
    expect(text).toContain(
      'tickpipe_provider_request_duration_seconds_bucket{le="0.1",provider="tushare",endpoint="stk_mins"} 1',
    );
    expect(text).toContain('tickpipe_retries_total{provider="tushare",class="rate_limited"} 1');
    expect(text).toContain('tickpipe_circuit_open{provider="tushare"} 1');
    expect(text).toContain('tickpipe_workers_in_flight 2');
    expect(text).toContain('tickpipe_store_write_duration_seconds_count{store="duckdb",outcome="ok"} 1');
    expect(text).not.toContain(SECRET);
  });

  it('two pipelines in one process keep separate registries', async () => {
    const a = createPipelineMetrics({ processMetrics: false });
    const b = createPipelineMetrics({ processMetrics: false });
    a.onEvent({ type: 'unit:succeeded', unit, status: 'ok', rows: 5, attempts: 1 });
    expect(await b.registry.metrics()).not.toContain('tickpipe_rows_written_total{table="bars"} 5');
  });

  it('serves /metrics on 127.0.0.1 and 404 elsewhere', async () => {
    const m = createPipelineMetrics({ processMetrics: false });
    const server = await startMetricsServer({ registry: m.registry, port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const ok = await fetch(server.url);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE tickpipe_units_total counter');
      expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
