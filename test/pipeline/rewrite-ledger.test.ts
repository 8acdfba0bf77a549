/**
 * Rewrites (`--no-resume`) take a done unit out of "done" before its rows are replaced, so a
 * crash between a store's delete and insert (ClickHouse) leaves a unit to redo, never an `ok`
 * ledger entry over missing rows.
 */
import { describe, expect, it } from 'vitest';
import { unitKeyString } from '../../src/ledger/ledger-entry.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { ledgerByUnit, loadTestConfig, recordingReporter, runOnce, wrapStore } from './support/harness.js';

describe('rewriting done units', () => {
  it('marks them `rewriting` before the store write and `ok` after it', async () => {
    const loaded = loadTestConfig({ universeSize: 3 });
    const inner = createMemoryStore();
    await runOnce(loaded, inner, recordingReporter(), {}, { requested: ['bars_1d'] });

    const statusAtWrite: string[] = [];
    const store = wrapStore(inner, {
      beforeWrite: async (units) => {
        const ledger = await ledgerByUnit(inner);
        for (const u of units) statusAtWrite.push(ledger.get(unitKeyString(u.unit))?.status ?? 'none');
      },
    });
    const s = await runOnce(
      loaded,
      store,
      recordingReporter(),
      {},
      { requested: ['bars_1d'], resume: false },
    );
    expect(s.unitsOk).toBeGreaterThan(0);
    expect(statusAtWrite.length).toBe(s.unitsOk);
    expect(new Set(statusAtWrite)).toEqual(new Set(['rewriting']));
    const after = await ledgerByUnit(inner);
    expect([...after.values()].every((e) => e.status === 'ok')).toBe(true);
  });

  it('a failed rewrite leaves the unit to redo on the next resume', async () => {
    const loaded = loadTestConfig({ universeSize: 2 });
    const inner = createMemoryStore();
    await runOnce(loaded, inner, recordingReporter(), {}, { requested: ['bars_1d'] });
    const store = wrapStore(inner, {
      beforeWrite: () => {
        throw Object.assign(new Error('insert lost (test)'), { code: 'STORAGE_FAILED', retryable: false });
      },
    });
    await runOnce(loaded, store, recordingReporter(), {}, { requested: ['bars_1d'], resume: false });
    const next = await runOnce(loaded, inner, recordingReporter(), {}, { requested: ['bars_1d'] });
    expect(next.unitsSkipped).toBe(0);
    expect(next.unitsOk).toBe(next.unitsPlanned);
  });
});
