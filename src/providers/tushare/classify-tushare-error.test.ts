import { describe, expect, it } from 'vitest';
import {
  classifyTushareAnswer,
  classifyTushareTransportFailure,
  TUSHARE_ERROR_RULES,
  type TushareErrorContext,
} from './classify-tushare-error.js';

const DOC = '权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。';
const ctx: TushareErrorContext = { api: 'stk_mins', symbol: '600000.SH', keyIndex: 1, tokenLast4: 'ab12' };

describe('classifyTushareAnswer', () => {
  it.each([
    [40101, '您的token不对，请确认。', 'PROVIDER_AUTH', false],
    [-1, '您的token不对，请确认。', 'PROVIDER_AUTH', false],
    [40203, `抱歉，您没有接口(stk_mins)访问权限，${DOC}`, 'PROVIDER_PERMISSION', false],
    [40203, `抱歉，您没有访问该接口的权限，${DOC}`, 'PROVIDER_PERMISSION', false],
    [2002, '没有权限', 'PROVIDER_PERMISSION', false],
    [40203, `抱歉，您每分钟最多访问该接口200次，${DOC}`, 'PROVIDER_RATE_LIMITED', true],
    [40203, '抱歉，您每小时最多访问该接口30次', 'PROVIDER_RATE_LIMITED', true],
    [40203, '抱歉，您每天最多访问该接口2次', 'PROVIDER_QUOTA_EXHAUSTED', false],
    [40002, '请指定正确的接口名', 'PROVIDER_BAD_REQUEST', false],
    [40001, '参数校验失败, ts_code,trade_date至少输入一个参数', 'PROVIDER_BAD_REQUEST', false],
    [50000, '系统内部错误', 'PROVIDER_UNAVAILABLE', true],
    [12345, '某种新的错误', 'PROVIDER_BAD_RESPONSE', true],
  ] as const)('code %i "%s" → %s (retryable %s)', (code, msg, expected, retryable) => {
    const e = classifyTushareAnswer({ code, msg }, ctx);
    expect(e.code).toBe(expected);
    expect(e.retryable).toBe(retryable);
    expect(e.context).toMatchObject({
      provider: 'tushare',
      endpoint: 'stk_mins',
      keyIndex: 1,
      providerCode: code,
    });
  });

  it('names a bad token by its last 4 characters only', () => {
    const e = classifyTushareAnswer({ code: 40101, msg: '您的token不对，请确认。' }, ctx);
    expect(e.message).toBe(
      'Tushare "stk_mins" refused 600000.SH: token …ab12 (key 1) is not accepted (40101 您的token不对); check providers.tushare.token / tokens',
    );
  });

  it('learns N from a per-minute refusal and waits a full minute without a send log', () => {
    const e = classifyTushareAnswer({ code: 40203, msg: `抱歉，您每分钟最多访问该接口200次，${DOC}` }, ctx);
    expect(e.message).toBe(
      'Tushare "stk_mins" refused 600000.SH: rate limit of 200/min reached on key 1; waiting 60 s',
    );
    expect(e.retryAfterMs).toBe(60_000);
    expect(e.context).toMatchObject({ endpoint: 'stk_mins', keyIndex: 1, statedLimitPerMinute: 200 });
  });

  it('waits only until the tracked window frees, and at least one second', () => {
    const asked: [number, number][] = [];
    const e = classifyTushareAnswer(
      { code: 40203, msg: '抱歉，您每分钟最多访问该接口50次' },
      {
        ...ctx,
        windowWaitMs: (windowMs, limit) => {
          asked.push([windowMs, limit]);
          return 31_000;
        },
      },
    );
    expect(asked).toEqual([[60_000, 50]]);
    expect(e.retryAfterMs).toBe(31_000);
    expect(e.message).toContain('waiting 31 s');
    const soon = classifyTushareAnswer(
      { code: 40203, msg: '抱歉，您每分钟最多访问该接口50次' },
      { ...ctx, windowWaitMs: () => 5 },
    );
    expect(soon.retryAfterMs).toBe(1000);
  });

  it('waits up to an hour for an hourly limit', () => {
    const e = classifyTushareAnswer({ code: 40203, msg: '抱歉，您每小时最多访问该接口30次' }, ctx);
    expect(e.retryAfterMs).toBe(3_600_000);
    expect(e.context).toMatchObject({ statedLimitPerHour: 30 });
  });

  it('reports a daily cap as quota exhausted for that key', () => {
    const e = classifyTushareAnswer({ code: 40203, msg: '抱歉，您每天最多访问该接口2次，…' }, ctx);
    expect(e.context).toMatchObject({ keyIndex: 1, statedLimitPerDay: 2 });
    expect(e.message).toContain('daily quota of 2 requests used up on key 1');
  });

  it('says "the request" when no symbol is involved', () => {
    const e = classifyTushareAnswer(
      { code: 40203, msg: '抱歉，您没有接口(stock_basic)访问权限' },
      { ...ctx, api: 'stock_basic', symbol: undefined },
    );
    expect(e.message).toMatch(/^Tushare "stock_basic" refused the request: /);
  });

  it('documents every rule', () => {
    for (const rule of TUSHARE_ERROR_RULES) expect(rule.when.length).toBeGreaterThan(10);
  });
});

describe('classifyTushareTransportFailure', () => {
  it.each([
    [{ kind: 'http', status: 500 }, 'PROVIDER_UNAVAILABLE', true],
    [{ kind: 'http', status: 502 }, 'PROVIDER_UNAVAILABLE', true],
    [{ kind: 'http', status: 429 }, 'PROVIDER_RATE_LIMITED', true],
    [{ kind: 'http', status: 404 }, 'PROVIDER_BAD_REQUEST', false],
    [{ kind: 'network', cause: new Error('fetch failed') }, 'PROVIDER_UNAVAILABLE', true],
    [{ kind: 'timeout', timeoutMs: 30_000 }, 'PROVIDER_UNAVAILABLE', true],
    [{ kind: 'unparsable', detail: 'truncated' }, 'PROVIDER_BAD_RESPONSE', true],
  ] as const)('%o → %s', (failure, expected, retryable) => {
    const e = classifyTushareTransportFailure(failure, ctx);
    expect(e.code).toBe(expected);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toMatch(/^Tushare "stk_mins" failed for 600000\.SH: /);
  });
});
