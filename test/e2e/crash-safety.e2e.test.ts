/**
 * End-to-end crash safety: kill -9 at an arbitrary moment, or Ctrl-C, then the same command
 * again, leaves exactly the table contents of an uninterrupted run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, FINGERPRINT_SQL, queryJson, type Workspace } from '../support/cli.js';

const ARGS = [
  'run',
  '--symbols',
  'ALL',
  '--start-date',
  '2025-06-05',
  '--end-date',
  '2025-06-06',
  '--workers',
  '3',
  '--log-format',
  'plain',
];
let reference: Array<Record<string, unknown>>;
const workspaces: Workspace[] = [];

function workspace(latencyMs: number): Workspace {
  const ws = createWorkspace({ latency_ms: latencyMs });
  workspaces.push(ws);
  return ws;
}

/** Resolves once stdout has at least `n` lines starting with "ok". */
function afterOkLines(child: ReturnType<Workspace['spawn']>, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const oks = child
        .output()
        .stdout.split('\n')
        .filter((l) => l.startsWith('ok')).length;
      if (oks >= n) {
        child.stdout?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.on('close', () =>
      reject(new Error(`exited before ${n} units: ${child.output().stdout}${child.output().stderr}`)),
    );
  });
}

beforeAll(async () => {
  const ws = workspace(0);
  const r = await ws.run([...ARGS, '--providers-config', ws.configPath]);
  expect(r.code).toBe(0);
  reference = await queryJson(ws, FINGERPRINT_SQL);
  expect(reference.every((t) => Number(t.n) > 0)).toBe(true);
});
afterAll(() => workspaces.forEach((w) => w.cleanup()));

describe('crash safety', () => {
  it.each([7, 23])('kill -9 after %i units, then a re-run, equals an uninterrupted run', async (units) => {
    const ws = workspace(40);
    const child = ws.spawn([...ARGS, '--providers-config', ws.configPath]);
    await afterOkLines(child, units);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(child.output().signal).toBe('SIGKILL');

    const again = await ws.run([...ARGS, '--providers-config', ws.configPath]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Data ingestion completed. Successful: 6/6');
    // Resumed: some units were already done and skipped.
    expect(again.stdout).toMatch(/[1-9]\d* already done/);
    expect(await queryJson(ws, FINGERPRINT_SQL)).toEqual(reference);
    const ledger = await queryJson(
      ws,
      "SELECT count(*) AS n, count(DISTINCT provider || data_type || symbol || trade_date) AS k FROM ingest_ledger WHERE status = 'ok'",
    );
    expect(ledger).toEqual([{ n: 60, k: 60 }]);
  });

  it('Ctrl-C exits 130 keeping finished work, and the next run resumes to the same result', async () => {
    const ws = workspace(60);
    const child = ws.spawn([...ARGS, '--providers-config', ws.configPath, '--grace-ms', '3000']);
    await afterOkLines(child, 10);
    child.kill('SIGINT');
    await new Promise((r) => child.on('close', r));
    const out = child.output();
    expect(out.code).toBe(130);
    expect(out.stdout).toContain('Interrupted');
    const kept = await queryJson(ws, "SELECT count(*) AS n FROM ingest_ledger WHERE status = 'ok'");
    expect(Number(kept[0]?.n)).toBeGreaterThanOrEqual(10);

    const again = await ws.run([...ARGS, '--providers-config', ws.configPath]);
    expect(again.code).toBe(0);
    expect(await queryJson(ws, FINGERPRINT_SQL)).toEqual(reference);
  });
});
