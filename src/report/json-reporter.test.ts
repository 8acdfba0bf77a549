import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../pipeline/events.js';
import { createJsonReporter } from './json-reporter.js';

const T0 = Date.parse('2025-06-05T01:30:00.000Z');

function setup() {
  const lines: string[] = [];
  let now = T0;
  const reporter = createJsonReporter(
    (l) => lines.push(l),
    () => now,
  );
  return {
    lines,
    reporter,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const progress = (done: number, total = 10): PipelineEvent => ({
  type: 'progress',
  unitsDone: done,
  unitsTotal: total,
  rowsWritten: done * 100,
  inFlight: 1,
  workers: 2,
});

describe('createJsonReporter', () => {
  it('writes one parseable JSON object per event with type and time', () => {
    const { lines, reporter } = setup();
    reporter.onEvent({ type: 'run:warning', message: 'tushare "skipped"\nline two' });
    reporter.onEvent({
      type: 'unit:failed',
      unit: { provider: 'simulated', dataType: 'ticks', symbol: '600000.SH', tradeDate: '2025-06-05' },
      status: 'failed',
      attempts: 3,
      error: { code: 'PROVIDER_UNAVAILABLE', message: 'down', retryable: true },
    });
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).not.toContain('\n');
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toEqual({
      time: '2025-06-05T01:30:00.000Z',
      type: 'run:warning',
      message: 'tushare "skipped"\nline two',
    });
    expect(b).toMatchObject({
      time: '2025-06-05T01:30:00.000Z',
      type: 'unit:failed',
      attempts: 3,
      unit: { symbol: '600000.SH' },
      error: { code: 'PROVIDER_UNAVAILABLE' },
    });
  });

  it('throttles progress to one per second but always emits the final one', () => {
    const { lines, reporter, advance } = setup();
    reporter.onEvent(progress(1));
    advance(200);
    reporter.onEvent(progress(2));
    advance(200);
    reporter.onEvent(progress(3));
    advance(700);
    reporter.onEvent(progress(4));
    advance(10);
    reporter.onEvent(progress(10));
    const done = lines.map((l) => (JSON.parse(l) as { unitsDone: number }).unitsDone);
    expect(done).toEqual([1, 4, 10]);
  });

  it('does not throttle other events', () => {
    const { lines, reporter } = setup();
    for (let i = 0; i < 5; i++) reporter.onEvent({ type: 'workers:changed', workers: i + 1 });
    expect(lines).toHaveLength(5);
  });

  it('time follows the injected clock', () => {
    const { lines, reporter, advance } = setup();
    advance(1500);
    reporter.onEvent({ type: 'workers:changed', workers: 3 });
    expect((JSON.parse(lines[0] ?? '{}') as { time: string }).time).toBe('2025-06-05T01:30:01.500Z');
  });
});
