/**
 * End-to-end: secrets never leave the process. A real-looking Tushare token and ClickHouse
 * password are configured through `${VAR}`s, and the provider echoes both back in its error
 * messages (as real servers sometimes echo request parameters). Every output path is searched:
 * stdout/stderr in each log format, the --log-file diagnostics, NDJSON events on stdout and in the kept events file, the
 * ledger's error_message, the JSON and HTML reports, and the top-level error printer. Each
 * check also asserts the redaction marker is there, so the secret-carrying text really passed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTushareEmulator, type TushareEmulator } from '../emulators/tushare/tushare-emulator.js';
import { createWorkspace, queryJson, type Workspace } from '../support/cli.js';

/** Shaped like a real Tushare Pro token (56 hex characters). */
const TOKEN = '4f9c2e7a1b8d3f6e0a5c9b2d7e4f1a8c3b6d9e2f5a8c1b4d7e0f3a6c';
const PASSWORD = 'Ch-Pa55w0rd!q7Zt';
const ENV = { TUSHARE_TOKEN: TOKEN, CLICKHOUSE_PASSWORD: PASSWORD };

let emu: TushareEmulator | undefined;
let proxy: Server | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  ws?.cleanup();
  await emu?.close();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  proxy = undefined;
});

/**
 * In front of the emulator: `daily` for 600519.SH answers a parameter error that quotes the
 * token and the password; everything else is forwarded.
 */
async function startEchoingProxy(target: string): Promise<string> {
  proxy = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { api_name?: string; token?: string; params?: { ts_code?: string } };
      if (parsed.api_name === 'daily' && parsed.params?.ts_code === '600519.SH') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            code: 40001,
            msg: `参数校验失败: token=${parsed.token ?? ''} db_password=${PASSWORD}`,
            data: null,
          }),
        );
        return;
      }
      fetch(target, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(
        async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => proxy?.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
}

function expectClean(where: string, text: string, mustRedact = true): void {
  expect(text.includes(TOKEN), `${where} contains the token`).toBe(false);
  expect(text.includes(PASSWORD), `${where} contains the password`).toBe(false);
  // Also no long fragment of either (a cut message must not leak half a token).
  expect(text.includes(TOKEN.slice(0, 16)), `${where} contains part of the token`).toBe(false);
  if (mustRedact) expect(text, `${where} shows no redaction marker`).toContain('***');
}

describe('secrets are redacted on every output path', () => {
  it('stdout/stderr in plain, json and pretty; events file; ledger; JSON/HTML report', async () => {
    emu = await startTushareEmulator({ tokens: { [TOKEN]: {} } });
    const url = await startEchoingProxy(emu.url);
    ws = createWorkspace();
    ws.writeConfig({
      providers: {
        simulated: { enabled: true },
        tushare: { enabled: true, token: '${TUSHARE_TOKEN}', base_url: url },
      },
      routing: { tick_data: ['tushare'], bars_1d: ['tushare'], bars_1m: ['tushare'] },
      ingestion: { retry: { max_attempts: 2, base_delay_ms: 1, max_delay_ms: 5 } },
      storage: {
        backend: 'duckdb',
        duckdb: { path: ws.dbPath },
        clickhouse: { password: '${CLICKHOUSE_PASSWORD}' },
      },
      reports: { keep_events: true },
    });
    const args = [
      'run',
      '--provider',
      'tushare',
      '--symbols',
      '600000.SH,600519.SH',
      '--start-date',
      '2025-06-05',
      '--end-date',
      '2025-06-06',
      '--data-types',
      'bars_1d',
      '--providers-config',
      ws.configPath,
    ];
    const logFile = join(ws.dir, 'logs', 'run.jsonl');
    for (const format of ['plain', 'json', 'pretty']) {
      const r = await ws.run(
        [...args, '--log-format', format, '--log-level', 'debug', '--log-file', logFile],
        {
          env: ENV,
        },
      );
      expect(r.code, r.stderr).toBe(3);
      expectClean(`stdout (${format})`, r.stdout);
      expectClean(`stderr (${format})`, r.stderr, false);
      if (format === 'json') {
        const events = r.stdout.split('\n').filter((l) => l.startsWith('{'));
        expect(events.some((l) => (JSON.parse(l) as { type: string }).type === 'unit:failed')).toBe(true);
      }
    }

    // The diagnostics log (pino JSON lines, debug level: requests, answers, retries, failures).
    const log = readFileSync(logFile, 'utf8');
    expect(log.split('\n').length).toBeGreaterThan(10);
    expectClean('--log-file', log);

    const ledger = await queryJson(ws, "SELECT error_message FROM ingest_ledger WHERE status = 'failed'");
    expect(ledger.length).toBeGreaterThan(0);
    expectClean('ledger error_message', JSON.stringify(ledger));

    const reports = join(ws.dir, 'reports');
    const files = readdirSync(reports);
    expect(files.filter((f) => f.endsWith('.html'))).toHaveLength(3);
    expect(files.filter((f) => f.endsWith('.events.ndjson'))).toHaveLength(3);
    for (const f of files) expectClean(`reports/${f}`, readFileSync(join(reports, f), 'utf8'));
    // The configuration shown in the report masks both secrets.
    const json = JSON.parse(
      readFileSync(join(reports, files.find((f) => f.endsWith('.json')) as string), 'utf8'),
    ) as {
      config: {
        config: { providers: { tushare: { token: string } }; storage: { clickhouse: { password: string } } };
      };
    };
    expect(json.config.config.providers.tushare.token).toBe('***');
    expect(json.config.config.storage.clickhouse.password).toBe('***');

    // `tickpipe report` and `status` print the same data again.
    const runId = files[0]?.split('.')[0] as string;
    const rebuilt = await ws.run(['report', runId, '--providers-config', ws.configPath], { env: ENV });
    expect(rebuilt.code).toBe(0);
    expectClean('report command output', rebuilt.stdout + rebuilt.stderr, false);
    for (const format of ['table', 'json', 'csv']) {
      const status = await ws.run(['status', '--format', format, '--providers-config', ws.configPath], {
        env: ENV,
      });
      expectClean(`status --format ${format}`, status.stdout + status.stderr);
    }
  });

  it('the top-level error printer redacts (a store path built from a secret)', async () => {
    ws = createWorkspace();
    ws.writeConfig({
      providers: { tushare: { enabled: true, token: '${TUSHARE_TOKEN}' } },
      storage: {
        backend: 'duckdb',
        duckdb: { path: join(ws.dir, 'no-such-dir-${TUSHARE_TOKEN}', 'x.duckdb') },
      },
    });
    const r = await ws.run(['query', 'SELECT 1', '--providers-config', ws.configPath], { env: ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-dir-***');
    expectClean('top-level error', r.stdout + r.stderr);
  });
});
