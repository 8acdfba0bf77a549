/**
 * The explicit classification table of Tushare failures (docs/PROVIDERS.md, "Tushare Pro"). Tushare answers
 * business errors as HTTP 200 with a non-zero body `code` and a Chinese `msg`; the codes of rate
 * limits, unknown interfaces and parameter errors were never captured, so rules match the
 * message substrings that every known client relies on, and fall back to the code.
 */
import { IngestError, type ErrorCode } from '../../errors.js';

/** A Tushare answer with a non-zero code. */
export interface TushareAnswer {
  code: number;
  msg: string;
}

/** What the classifier needs to know about the failed request (never the token itself). */
export interface TushareErrorContext {
  /** Interface name, e.g. `stk_mins`. */
  api: string;
  /** Symbol the request was for, when there was one. */
  symbol?: string;
  /** Index of the API key used. */
  keyIndex: number;
  /** Last 4 characters of the token used. */
  tokenLast4: string;
  /**
   * Wait until a window of `windowMs` holds fewer than `limit` of this client's requests for
   * (api, key), from its own send log; `undefined` when unknown (the worst case is used).
   */
  windowWaitMs?: (windowMs: number, limit: number) => number | undefined;
}

/** One row of the table. */
export interface TushareErrorRule {
  /** What the rule recognises, for docs and tests. */
  when: string;
  code: ErrorCode;
  retryable: boolean;
  matches(answer: TushareAnswer): boolean;
  build(answer: TushareAnswer, ctx: TushareErrorContext): IngestError;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const PER_MINUTE = /每分钟最多访问该接口\s*(\d+)\s*次/;
const PER_HOUR = /每小时最多访问该接口\s*(\d+)\s*次/;
const PER_DAY = /每天最多访问该接口\s*(\d+)\s*次/;

const subject = (ctx: TushareErrorContext): string => (ctx.symbol ? ctx.symbol : 'the request');
const refused = (ctx: TushareErrorContext, reason: string): string =>
  `Tushare "${ctx.api}" refused ${subject(ctx)}: ${reason}`;
const base = (ctx: TushareErrorContext, answer: TushareAnswer): Record<string, unknown> => ({
  provider: 'tushare',
  endpoint: ctx.api,
  ...(ctx.symbol ? { symbol: ctx.symbol } : {}),
  keyIndex: ctx.keyIndex,
  providerCode: answer.code,
  providerMessage: answer.msg,
});

function rateLimited(
  answer: TushareAnswer,
  ctx: TushareErrorContext,
  pattern: RegExp,
  windowMs: number,
  unit: 'min' | 'hour',
): IngestError {
  const stated = Number(pattern.exec(answer.msg)?.[1]);
  const limit = Number.isFinite(stated) && stated > 0 ? stated : undefined;
  const tracked = limit === undefined ? undefined : ctx.windowWaitMs?.(windowMs, limit);
  // Without our own send log covering the window, the worst case is a full window.
  const retryAfterMs = Math.max(1000, Math.min(windowMs, tracked ?? windowMs));
  const limitText =
    limit === undefined
      ? `the ${unit === 'min' ? 'per-minute' : 'hourly'} rate limit`
      : `rate limit of ${limit}/${unit}`;
  return new IngestError(
    'PROVIDER_RATE_LIMITED',
    refused(ctx, `${limitText} reached on key ${ctx.keyIndex}; waiting ${Math.ceil(retryAfterMs / 1000)} s`),
    {
      retryable: true,
      retryAfterMs,
      context: {
        ...base(ctx, answer),
        ...(limit === undefined
          ? {}
          : unit === 'min'
            ? { statedLimitPerMinute: limit }
            : { statedLimitPerHour: limit }),
      },
    },
  );
}

/** The table, in match order (first match wins). */
export const TUSHARE_ERROR_RULES: readonly TushareErrorRule[] = [
  {
    when: 'code 40101 or msg contains "token不对" (invalid, empty or expired token)',
    code: 'PROVIDER_AUTH',
    retryable: false,
    matches: (a) => a.code === 40101 || a.msg.includes('token不对'),
    build: (a, ctx) =>
      new IngestError(
        'PROVIDER_AUTH',
        refused(
          ctx,
          `token …${ctx.tokenLast4} (key ${ctx.keyIndex}) is not accepted (${a.code} 您的token不对); check providers.tushare.token / tokens`,
        ),
        { retryable: false, context: base(ctx, a) },
      ),
  },
  {
    when: 'msg contains "每分钟最多访问" (per-minute limit; N learned from the text)',
    code: 'PROVIDER_RATE_LIMITED',
    retryable: true,
    matches: (a) => a.msg.includes('每分钟最多访问'),
    build: (a, ctx) => rateLimited(a, ctx, PER_MINUTE, MINUTE_MS, 'min'),
  },
  {
    when: 'msg contains "每小时最多访问" (hourly limit of some premium interfaces)',
    code: 'PROVIDER_RATE_LIMITED',
    retryable: true,
    matches: (a) => a.msg.includes('每小时最多访问'),
    build: (a, ctx) => rateLimited(a, ctx, PER_HOUR, HOUR_MS, 'hour'),
  },
  {
    when: 'msg contains "每天最多访问" (daily cap of the key for this interface)',
    code: 'PROVIDER_QUOTA_EXHAUSTED',
    retryable: false,
    matches: (a) => a.msg.includes('每天最多访问'),
    build: (a, ctx) => {
      const stated = Number(PER_DAY.exec(a.msg)?.[1]);
      const limit = Number.isFinite(stated) && stated > 0 ? stated : undefined;
      return new IngestError(
        'PROVIDER_QUOTA_EXHAUSTED',
        refused(
          ctx,
          `daily quota${limit === undefined ? '' : ` of ${limit} requests`} used up on key ${ctx.keyIndex}; it resets at midnight Shanghai time — use another token or resume tomorrow`,
        ),
        {
          retryable: false,
          context: { ...base(ctx, a), ...(limit === undefined ? {} : { statedLimitPerDay: limit }) },
        },
      );
    },
  },
  {
    when: 'msg contains "没有" and "权限", or code 2002 (interface not included in the account)',
    code: 'PROVIDER_PERMISSION',
    retryable: false,
    matches: (a) => (a.msg.includes('没有') && a.msg.includes('权限')) || a.code === 2002,
    build: (a, ctx) =>
      new IngestError(
        'PROVIDER_PERMISSION',
        refused(
          ctx,
          `the account has no permission for "${ctx.api}" (needs more points or a separate subscription; see https://tushare.pro/document/1?doc_id=108)`,
        ),
        { retryable: false, context: base(ctx, a) },
      ),
  },
  {
    when: 'msg contains "请指定正确的接口名" (unknown interface) or "参数校验失败" (bad parameters)',
    code: 'PROVIDER_BAD_REQUEST',
    retryable: false,
    matches: (a) => a.msg.includes('请指定正确的接口名') || a.msg.includes('参数校验失败'),
    build: (a, ctx) =>
      new IngestError('PROVIDER_BAD_REQUEST', refused(ctx, `bad request (${a.code} ${a.msg})`), {
        retryable: false,
        context: base(ctx, a),
      }),
  },
  {
    when: 'msg contains "系统内部错误" (server-side failure)',
    code: 'PROVIDER_UNAVAILABLE',
    retryable: true,
    matches: (a) => a.msg.includes('系统内部错误'),
    build: (a, ctx) =>
      new IngestError(
        'PROVIDER_UNAVAILABLE',
        `Tushare "${ctx.api}" failed for ${subject(ctx)}: internal server error (${a.code})`,
        {
          retryable: true,
          context: base(ctx, a),
        },
      ),
  },
];

/** Classifies a non-zero Tushare answer. Unknown answers become retryable `PROVIDER_BAD_RESPONSE`. */
export function classifyTushareAnswer(answer: TushareAnswer, ctx: TushareErrorContext): IngestError {
  for (const rule of TUSHARE_ERROR_RULES) {
    if (rule.matches(answer)) return rule.build(answer, ctx);
  }
  return new IngestError(
    'PROVIDER_BAD_RESPONSE',
    `Tushare "${ctx.api}" answered ${subject(ctx)} with unexpected code ${answer.code}: ${answer.msg || '(no message)'}`,
    { retryable: true, context: base(ctx, answer) },
  );
}

/** A failure below the envelope: HTTP status, network, timeout or an unparsable body. */
export type TushareTransportFailure =
  | { kind: 'http'; status: number }
  | { kind: 'network'; cause: unknown }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'unparsable'; detail: string; cause?: unknown };

/**
 * Classifies transport failures: 5xx, resets and timeouts → `PROVIDER_UNAVAILABLE`; HTTP 429 →
 * rate limited (defensive: never observed from Tushare); other 4xx → `PROVIDER_BAD_REQUEST`;
 * unparsable or truncated bodies → `PROVIDER_BAD_RESPONSE`. All but 4xx are retryable.
 */
export function classifyTushareTransportFailure(
  failure: TushareTransportFailure,
  ctx: Pick<TushareErrorContext, 'api' | 'symbol' | 'keyIndex'>,
): IngestError {
  const what = `Tushare "${ctx.api}" failed for ${ctx.symbol ?? 'the request'}`;
  const context = {
    provider: 'tushare',
    endpoint: ctx.api,
    keyIndex: ctx.keyIndex,
    ...(ctx.symbol ? { symbol: ctx.symbol } : {}),
  };
  switch (failure.kind) {
    case 'http':
      if (failure.status === 429) {
        return new IngestError('PROVIDER_RATE_LIMITED', `${what}: HTTP 429 Too Many Requests; waiting 60 s`, {
          retryable: true,
          retryAfterMs: MINUTE_MS,
          context: { ...context, httpStatus: 429 },
        });
      }
      if (failure.status >= 400 && failure.status < 500) {
        return new IngestError(
          'PROVIDER_BAD_REQUEST',
          `${what}: HTTP ${failure.status}; check providers.tushare.base_url`,
          {
            retryable: false,
            context: { ...context, httpStatus: failure.status },
          },
        );
      }
      return new IngestError(
        'PROVIDER_UNAVAILABLE',
        `${what}: HTTP ${failure.status} from the server; will retry`,
        {
          retryable: true,
          context: { ...context, httpStatus: failure.status },
        },
      );
    case 'network':
      return new IngestError(
        'PROVIDER_UNAVAILABLE',
        `${what}: network error (${describeCause(failure.cause)}); will retry`,
        {
          retryable: true,
          context,
          cause: failure.cause,
        },
      );
    case 'timeout':
      return new IngestError(
        'PROVIDER_UNAVAILABLE',
        `${what}: no answer within ${failure.timeoutMs} ms (providers.tushare.timeout_ms); will retry`,
        { retryable: true, context: { ...context, timeoutMs: failure.timeoutMs } },
      );
    case 'unparsable':
      return new IngestError(
        'PROVIDER_BAD_RESPONSE',
        `${what}: unreadable answer (${failure.detail}); will retry`,
        {
          retryable: true,
          context,
          cause: failure.cause,
        },
      );
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as Error & { cause?: unknown }).cause;
  const code = typeof inner === 'object' && inner !== null ? (inner as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${cause.message}: ${code}` : cause.message;
}
