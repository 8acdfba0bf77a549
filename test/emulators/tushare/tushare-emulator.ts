/**
 * An in-process emulator of the Tushare Pro HTTP API (docs/PROVIDERS.md, "Tushare Pro") on
 * 127.0.0.1: the real envelope, error codes and messages, per-token permissions and per-API
 * rate limits over an injectable clock, row caps, `fields`/`limit`/`offset`, newest-first rows
 * and fault injection. Data comes from {@link createTushareMarket}; `state.market` is the ground
 * truth tests compare against, `state.requests` the log of everything that reached the server.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTushareMarket, type TushareMarket, type TushareMarketOptions } from './tushare-market.js';

/** The interfaces the emulator serves. */
export const EMULATED_APIS = ['stock_basic', 'trade_cal', 'daily', 'adj_factor', 'stk_mins', 'rt_k'] as const;
export type EmulatedApi = (typeof EMULATED_APIS)[number];

/** Row caps per call (docs/PROVIDERS.md, "Tushare Pro"). */
export const DEFAULT_ROW_CAPS: Readonly<Record<EmulatedApi, number | undefined>> = {
  stock_basic: 6000,
  trade_cal: undefined,
  daily: 6000,
  adj_factor: 6000,
  stk_mins: 8000,
  rt_k: 6000,
};

/** A limit for every API (a number) or per API name. */
export type PerApiLimit = number | Readonly<Record<string, number>>;

/** What one token may do. */
export interface TushareTokenPolicy {
  /** APIs the token may call; default all. Others answer 40203 "没有接口(...)访问权限". */
  apis?: readonly string[];
  /** Requests per window (default 60 s) per API; default unlimited. */
  perMinute?: PerApiLimit;
  /** Requests per hour per API; default unlimited. */
  perHour?: PerApiLimit;
  /** Requests per Shanghai calendar day per API; default unlimited. */
  perDay?: PerApiLimit;
}

/**
 * Injected faults. `http500` and `reset` happen before the request is looked at, so they do not
 * count against rate windows; `truncated` and `slow` answers are computed (and counted) first.
 */
export type TushareFault = 'http500' | 'reset' | 'truncated' | 'slow';

/** Options of {@link startTushareEmulator}. */
export interface TushareEmulatorOptions {
  /** Valid tokens and their policies (default `{ 'emulator-token-0001': {} }`). */
  tokens?: Readonly<Record<string, TushareTokenPolicy>>;
  /** Clock, epoch ms (default `Date.now`). Drives rate windows and `rt_k`'s "now". */
  now?: () => number;
  /** `sliding` (any `windowMs` span) or `fixed` (aligned buckets); default `sliding`. */
  rateWindow?: 'sliding' | 'fixed';
  /** Length of the "minute" window, ms (default 60 000; tests with a real clock shorten it). */
  windowMs?: number;
  /** Market data, or options to build it. */
  market?: TushareMarket | TushareMarketOptions;
  /** Row caps per API (defaults {@link DEFAULT_ROW_CAPS}). */
  rowCaps?: Partial<Record<EmulatedApi, number>>;
  /** Set `has_more` when a cap or `limit` cut the answer (default `false`: semantics unverified). */
  reportHasMore?: boolean;
  /** Random faults: share of requests (0..1) and which kinds; `seed` makes them repeatable. */
  faultRate?: number;
  faultKinds?: readonly TushareFault[];
  faultSeed?: number;
  /** Delay of a `slow` answer, ms (default 2000). */
  slowMs?: number;
}

/** One request as the emulator saw it. */
export interface TushareRequestRecord {
  seq: number;
  /** Emulator clock at arrival, epoch ms. */
  atMs: number;
  path: string;
  apiName: string;
  /** Last 4 characters of the token sent. */
  tokenLast4: string;
  params: Record<string, unknown>;
  /** Envelope code answered (`undefined` when a fault replaced the answer). */
  code: number | undefined;
  /** True when the request arrived with the token's window for the API already full. */
  overLimit: boolean;
  fault: TushareFault | undefined;
  /** Rows returned. */
  rowCount: number;
}

/** Live state of a running emulator. */
export interface TushareEmulatorState {
  readonly market: TushareMarket;
  /** Every request, in arrival order. */
  readonly requests: TushareRequestRecord[];
  /** Queue faults for the next requests (consumed before random faults). */
  enqueueFaults(...faults: TushareFault[]): void;
  /** Change the random fault rate at run time. */
  setFaultRate(rate: number, kinds?: readonly TushareFault[]): void;
}

/** A running emulator. */
export interface TushareEmulator {
  /** `http://127.0.0.1:<port>` — use as `providers.tushare.base_url`. */
  url: string;
  state: TushareEmulatorState;
  close(): Promise<void>;
}

const DOC_LINK = '权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。';
/** Codes the emulator uses where the real ones were never captured (docs/PROVIDERS.md, "Tushare Pro"). */
export const EMULATOR_CODES = {
  ok: 0,
  badToken: 40101,
  refused: 40203,
  badParams: 40001,
  unknownApi: 40002,
} as const;

interface Table {
  /** Every column, in the interface's order. */
  columns: readonly string[];
  /** Columns returned when `fields` is empty. */
  defaults: readonly string[];
  /** Rows, newest first; `total` counts all matches when rows were cut early. */
  rows: Record<string, unknown>[];
  total: number;
}

class ParamError extends Error {}

/** Starts the emulator on 127.0.0.1, port 0. */
export async function startTushareEmulator(options: TushareEmulatorOptions = {}): Promise<TushareEmulator> {
  const now = options.now ?? Date.now;
  const tokens = options.tokens ?? { 'emulator-token-0001': {} };
  const windowMs = options.windowMs ?? 60_000;
  const market =
    options.market !== undefined && 'minuteBars' in options.market
      ? options.market
      : createTushareMarket(options.market as TushareMarketOptions | undefined);
  const rowCaps = { ...DEFAULT_ROW_CAPS, ...options.rowCaps };
  const slowMs = options.slowMs ?? 2000;
  let faultRate = options.faultRate ?? 0;
  let faultKinds: readonly TushareFault[] = options.faultKinds ?? ['http500', 'reset', 'truncated'];
  let faultRnd = seeded(options.faultSeed ?? 1);
  const faultQueue: TushareFault[] = [];
  const requests: TushareRequestRecord[] = [];
  // Accepted request times per token|api, for the rate windows.
  const served = new Map<string, number[]>();
  const timers = new Set<NodeJS.Timeout>();

  const state: TushareEmulatorState = {
    market,
    requests,
    enqueueFaults: (...faults) => faultQueue.push(...faults),
    setFaultRate: (rate, kinds) => {
      faultRate = rate;
      if (kinds) faultKinds = kinds;
      faultRnd = seeded(options.faultSeed ?? 1);
    },
  };

  const nextFault = (): TushareFault | undefined => {
    const queued = faultQueue.shift();
    if (queued) return queued;
    if (faultRate > 0 && faultRnd() < faultRate)
      return faultKinds[Math.floor(faultRnd() * faultKinds.length)];
    return undefined;
  };

  const limitOf = (limit: PerApiLimit | undefined, api: string): number | undefined =>
    typeof limit === 'number' ? limit : limit?.[api];

  /** Returns the refusal message when a limit is reached, after recording an accepted request otherwise. */
  const checkLimits = (token: string, api: string, atMs: number): string | undefined => {
    const policy = tokens[token] ?? {};
    const key = `${token}|${api}`;
    const times = served.get(key) ?? [];
    served.set(key, times);
    const perMinute = limitOf(policy.perMinute, api);
    const perHour = limitOf(policy.perHour, api);
    const perDay = limitOf(policy.perDay, api);
    if (perDay !== undefined) {
      const day = shanghaiDay(atMs);
      if (times.filter((t) => shanghaiDay(t) === day).length >= perDay)
        return `抱歉，您每天最多访问该接口${perDay}次，${DOC_LINK}`;
    }
    if (perHour !== undefined && times.filter((t) => t > atMs - 3_600_000).length >= perHour) {
      return `抱歉，您每小时最多访问该接口${perHour}次，${DOC_LINK}`;
    }
    if (perMinute !== undefined) {
      const inWindow =
        options.rateWindow === 'fixed'
          ? times.filter((t) => Math.floor(t / windowMs) === Math.floor(atMs / windowMs)).length
          : times.filter((t) => t > atMs - windowMs).length;
      if (inWindow >= perMinute) return `抱歉，您每分钟最多访问该接口${perMinute}次，${DOC_LINK}`;
    }
    times.push(atMs);
    // Keep a day of history at most.
    while (times.length > 0 && (times[0] as number) < atMs - 2 * 86_400_000) times.shift();
    return undefined;
  };

  const answer = (record: TushareRequestRecord, body: unknown): { status: number; json: string } => {
    const reply = (code: number, msg: string, data: unknown = null): { status: number; json: string } => {
      record.code = code;
      return {
        status: 200,
        json: JSON.stringify({ request_id: randomUUID(), code, msg, data, detail: code === 0 ? '...' : '' }),
      };
    };
    if (typeof body !== 'object' || body === null)
      return reply(EMULATOR_CODES.badParams, '参数校验失败, 请求体不是JSON对象');
    const b = body as Record<string, unknown>;
    const token = typeof b['token'] === 'string' ? b['token'] : '';
    const api = typeof b['api_name'] === 'string' ? b['api_name'] : '';
    const params =
      typeof b['params'] === 'object' && b['params'] !== null ? (b['params'] as Record<string, unknown>) : {};
    record.apiName = api;
    record.tokenLast4 = token.slice(-4);
    record.params = params;
    if (!(token in tokens)) return reply(EMULATOR_CODES.badToken, '您的token不对，请确认。');
    if (!(EMULATED_APIS as readonly string[]).includes(api))
      return reply(EMULATOR_CODES.unknownApi, '请指定正确的接口名');
    const policy = tokens[token] ?? {};
    if (policy.apis && !policy.apis.includes(api)) {
      return reply(EMULATOR_CODES.refused, `抱歉，您没有接口(${api})访问权限，${DOC_LINK}`);
    }
    const refusal = checkLimits(token, api, record.atMs);
    if (refusal) {
      record.overLimit = true;
      return reply(EMULATOR_CODES.refused, refusal);
    }
    const limit = toInt(params['limit']);
    const offset = toInt(params['offset']) ?? 0;
    const cap = rowCaps[api as EmulatedApi];
    const take = Math.min(limit ?? Infinity, cap ?? Infinity);
    let table: Table;
    try {
      table = query(market, api as EmulatedApi, params, now(), offset + take);
    } catch (e) {
      if (e instanceof ParamError) return reply(EMULATOR_CODES.badParams, `参数校验失败, ${e.message}`);
      throw e;
    }
    const requested = parseFields(b['fields']);
    const fields =
      requested.length === 0 ? [...table.defaults] : table.columns.filter((c) => requested.includes(c));
    const page = table.rows.slice(offset, offset + take);
    record.rowCount = page.length;
    const items = page.map((r) => fields.map((f) => r[f] ?? null));
    const hasMore = (options.reportHasMore ?? false) && table.total > offset + page.length;
    return reply(0, '', { fields, items, has_more: hasMore, count: 0 });
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: TushareRequestRecord = {
      seq: requests.length,
      atMs: now(),
      path,
      apiName: '',
      tokenLast4: '',
      params: {},
      code: undefined,
      overLimit: false,
      fault: undefined,
      rowCount: 0,
    };
    requests.push(record);
    if (req.method !== 'POST' || !(path === '/' || path === '/dataapi' || path.startsWith('/dataapi/'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const fault = nextFault();
    record.fault = fault;
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'http500') {
      res
        .writeHead(500, { 'content-type': 'text/html' })
        .end('<html><body>500 Internal Server Error</body></html>');
      return;
    }
    const { status, json } = answer(record, body);
    if (fault === 'truncated') {
      record.code = undefined;
      const cut = json.slice(0, Math.max(1, Math.floor(json.length / 2)));
      res.writeHead(status, { 'content-type': 'application/json' }).end(cut);
      return;
    }
    const send = (): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(json);
    };
    if (fault === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send();
      }, slowMs);
      timers.add(timer);
      return;
    }
    send();
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`emulator bug: ${(e as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers one API call with rows newest first; `want` bounds how many rows are materialised. */
function query(
  market: TushareMarket,
  api: EmulatedApi,
  params: Record<string, unknown>,
  nowMs: number,
  want: number,
): Table {
  const str = (k: string): string | undefined => {
    const v = params[k];
    return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const compactToIso = (v: string | undefined, what: string): string | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d{8}$/.test(v)) throw new ParamError(`${what}格式应为YYYYMMDD`);
    return `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`;
  };
  const codes = (v: string | undefined): string[] | undefined =>
    v?.split(',').map((s) => s.trim().toUpperCase());
  const all = <T>(rows: T[]): { rows: T[]; total: number } => ({ rows, total: rows.length });

  switch (api) {
    case 'stock_basic': {
      const statuses = (str('list_status') ?? 'L').split(',');
      const want = codes(str('ts_code'));
      const exchange = str('exchange');
      const rows = market.listings
        .filter((l) => statuses.includes(l.listStatus))
        .filter((l) => !want || want.includes(l.tsCode))
        .filter((l) => !exchange || exchangeOf(l.tsCode) === exchange)
        .map((l) => ({
          ts_code: l.tsCode,
          symbol: l.tsCode.slice(0, 6),
          name: l.name,
          area: null,
          industry: l.industry ?? null,
          fullname: null,
          enname: null,
          cnspell: null,
          market: null,
          exchange: exchangeOf(l.tsCode),
          curr_type: 'CNY',
          list_status: l.listStatus,
          list_date: compact(l.listDate),
          delist_date: l.listStatus === 'D' && l.lastTradeDate ? compact(l.lastTradeDate) : null,
          is_hs: 'N',
          act_name: null,
          act_ent_type: null,
        }));
      return {
        columns: Object.keys(STOCK_BASIC_EXAMPLE),
        defaults: [
          'ts_code',
          'symbol',
          'name',
          'area',
          'industry',
          'cnspell',
          'market',
          'list_date',
          'act_name',
          'act_ent_type',
        ],
        ...all(rows),
      };
    }
    case 'trade_cal': {
      const exchange = str('exchange') ?? 'SSE';
      const start = compactToIso(str('start_date'), 'start_date') ?? market.calendarStart;
      const end = compactToIso(str('end_date'), 'end_date') ?? market.calendarEnd;
      const isOpenFilter = str('is_open');
      const days = market.calendarDays();
      const rows: Record<string, unknown>[] = [];
      let prevOpen: string | null = null;
      for (const d of days) {
        const open = market.isOpen(d) ? 1 : 0;
        if (d >= start && d <= end && (isOpenFilter === undefined || Number(isOpenFilter) === open)) {
          rows.push({ exchange, cal_date: compact(d), is_open: open, pretrade_date: prevOpen });
        }
        if (open) prevOpen = compact(d);
      }
      rows.reverse();
      const cols = ['exchange', 'cal_date', 'is_open', 'pretrade_date'];
      return { columns: cols, defaults: cols, ...all(rows) };
    }
    case 'daily':
    case 'adj_factor': {
      const want = codes(str('ts_code'));
      const tradeDate = compactToIso(str('trade_date'), 'trade_date');
      if (!want && !tradeDate) throw new ParamError('ts_code,trade_date至少输入一个参数');
      const start = tradeDate ?? compactToIso(str('start_date'), 'start_date') ?? market.calendarStart;
      const end = tradeDate ?? compactToIso(str('end_date'), 'end_date') ?? market.calendarEnd;
      const symbols = want ?? market.listings.map((l) => l.tsCode);
      const rows: Record<string, unknown>[] = [];
      for (const d of market.tradingDays(start, end).reverse()) {
        for (const s of [...symbols].sort()) {
          if (api === 'adj_factor') {
            const f = market.adjFactor(s, d);
            if (f !== undefined) rows.push({ ts_code: s, trade_date: compact(d), adj_factor: f });
            continue;
          }
          const b = market.dailyBar(s, d);
          if (b) {
            rows.push({
              ts_code: s,
              trade_date: compact(d),
              open: b.open,
              high: b.high,
              low: b.low,
              close: b.close,
              pre_close: b.preClose,
              change: b.change,
              pct_chg: b.pctChg,
              vol: b.vol,
              amount: b.amount,
            });
          }
        }
      }
      const cols =
        api === 'daily'
          ? [
              'ts_code',
              'trade_date',
              'open',
              'high',
              'low',
              'close',
              'pre_close',
              'change',
              'pct_chg',
              'vol',
              'amount',
            ]
          : ['ts_code', 'trade_date', 'adj_factor'];
      return { columns: cols, defaults: cols, ...all(rows) };
    }
    case 'stk_mins': {
      const tsCode = str('ts_code');
      const freq = str('freq');
      if (!tsCode || tsCode.includes(',')) throw new ParamError('ts_code为必填项且只能是单个代码');
      if (!freq) throw new ParamError('freq为必填项');
      // Only 1-minute bars are emulated; other frequencies are refused loudly rather than faked.
      if (freq !== '1min') throw new ParamError(`模拟器仅支持freq=1min（收到${freq}）`);
      const start = str('start_date') ?? `${market.calendarStart} 00:00:00`;
      const end = str('end_date') ?? `${market.calendarEnd} 23:59:59`;
      const dt = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
      if (!dt.test(start) || !dt.test(end))
        throw new ParamError('start_date/end_date格式应为YYYY-MM-DD HH:MM:SS');
      const rows: Record<string, unknown>[] = [];
      let total = 0;
      for (const d of market.tradingDays(start.slice(0, 10), end.slice(0, 10)).reverse()) {
        const bars = market
          .minuteBars(tsCode.toUpperCase(), d)
          .filter((b) => b.tradeTime >= start && b.tradeTime <= end);
        total += bars.length;
        if (rows.length < want) {
          for (const b of bars.reverse()) {
            rows.push({
              ts_code: b.tsCode,
              trade_time: b.tradeTime,
              close: b.close,
              open: b.open,
              high: b.high,
              low: b.low,
              vol: b.vol,
              amount: b.amount,
            });
          }
        }
      }
      const cols = ['ts_code', 'trade_time', 'close', 'open', 'high', 'low', 'vol', 'amount'];
      return { columns: cols, defaults: cols, rows, total };
    }
    case 'rt_k': {
      const pattern = str('ts_code');
      if (!pattern) throw new ParamError('ts_code为必填项');
      const matchers = pattern.split(',').map((p) => wildcard(p.trim().toUpperCase()));
      const rows: Record<string, unknown>[] = [];
      for (const l of market.listings) {
        if (!matchers.some((m) => m.test(l.tsCode))) continue;
        const q = market.quote(l.tsCode, nowMs);
        if (!q) continue;
        rows.push({
          ts_code: q.tsCode,
          name: q.name,
          pre_close: q.preClose,
          high: q.high,
          open: q.open,
          low: q.low,
          close: q.close,
          vol: q.vol,
          amount: q.amount,
          num: q.num,
          ask_price1: q.askPrice1,
          ask_volume1: q.askVolume1,
          bid_price1: q.bidPrice1,
          bid_volume1: q.bidVolume1,
          trade_time: q.tradeTime,
        });
      }
      const cols = [
        'ts_code',
        'name',
        'pre_close',
        'high',
        'open',
        'low',
        'close',
        'vol',
        'amount',
        'num',
        'ask_price1',
        'ask_volume1',
        'bid_price1',
        'bid_volume1',
        'trade_time',
      ];
      return { columns: cols, defaults: cols.slice(0, 10), ...all(rows) };
    }
  }
}

const STOCK_BASIC_EXAMPLE = {
  ts_code: 0,
  symbol: 0,
  name: 0,
  area: 0,
  industry: 0,
  fullname: 0,
  enname: 0,
  cnspell: 0,
  market: 0,
  exchange: 0,
  curr_type: 0,
  list_status: 0,
  list_date: 0,
  delist_date: 0,
  is_hs: 0,
  act_name: 0,
  act_ent_type: 0,
};

/** `fields` may be a comma-separated string or an array (docs/PROVIDERS.md, "Tushare Pro"). */
function parseFields(fields: unknown): string[] {
  if (Array.isArray(fields))
    return fields.filter((f): f is string => typeof f === 'string').map((f) => f.trim());
  if (typeof fields === 'string')
    return fields
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
  return [];
}

function toInt(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function wildcard(p: string): RegExp {
  return new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
}

function exchangeOf(tsCode: string): string {
  return tsCode.endsWith('.SH') ? 'SSE' : tsCode.endsWith('.SZ') ? 'SZSE' : 'BSE';
}

function compact(iso: string): string {
  return iso.replaceAll('-', '');
}

function shanghaiDay(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
