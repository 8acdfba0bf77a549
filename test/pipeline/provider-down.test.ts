/**
 * A provider that is down ends the run quickly with every unit failed and a clear reason,
 * instead of parking workers at the circuit breaker for many minutes.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { loadTestConfig, recordingReporter, runOnce } from './support/harness.js';

describe('a provider that fails every request', () => {
  it('fails every unit within seconds, spending one fetch sequence per job', async () => {
    const loaded = loadTestConfig({ universeSize: 2, failRate: 1, maxAttempts: 2 });
    const rec = recordingReporter();
    const started = Date.now();
    const s = await runOnce(loaded, createMemoryStore(), rec);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(s.symbolsOk).toBe(0);
    expect(s.unitsFailed).toBe(s.unitsPlanned);
    expect(s.failedSymbols.every((f) => f.failureClasses.includes('transient'))).toBe(true);
    // Other data types of a job whose first fetch used up its attempts are not fetched at all.
    const retries = rec.of('unit:retrying');
    const jobs = new Set(retries.map((r) => r.jobId));
    expect(retries.length).toBeLessThanOrEqual(jobs.size * 2);
  });
});
