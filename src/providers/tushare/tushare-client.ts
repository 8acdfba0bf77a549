/**
 * The Tushare Pro HTTP client: one POST of `{api_name, token, params, fields}` to `base_url`
 * exactly, paced by the request gate (which also picks the token), bounded by a timeout, with
 * the envelope parsed and every failure classified. It never retries or sleeps.
 */
import { IngestError, throwIfAborted } from '../../errors.js';
import type { RequestGate } from '../../limits/request-gate.js';
import type { Logger } from '../../limits/logger.js';
import { classifyTushareAnswer, classifyTushareTransportFailure } from './classify-tushare-error.js';

/** Options of {@link createTushareClient}. */
export interface TushareClientOptions {
  /** URL the client POSTs to, exactly (no path appended). */
  baseUrl: string;
  /** API tokens; the gate's `keyIndex` picks one. */
  tokens: readonly string[];
  /** Per-request timeout, ms. */
  timeoutMs: number;
  fetch: typeof globalThis.fetch;
  gate: RequestGate;
  /** Current time, epoch ms (for the send log behind `retryAfterMs`). */
  now(): number;
  logger: Logger;
}

/** One interface call. */
export interface TushareQuery {
  api: string;
  /** Interface parameters; all strings on the wire. */
  params: Readonly<Record<string, string>>;
  /** Columns wanted (sent as a comma-separated string). */
  fields: readonly string[];
  /** Symbol the call is for, for error messages. */
  symbol?: string;
  signal: AbortSignal;
}

/** A successful answer, rows keyed by field name, in the server's (newest-first) order. */
export interface TushareTable {
  fields: string[];
  rows: Record<string, unknown>[];
  /** `data.has_more` as sent (semantics undocumented; treated as "the answer was cut"). */
  hasMore: boolean;
  /** Key that served the call. */
  keyIndex: number;
}

/** The client. */
export interface TushareClient {
  readonly keyCount: number;
  query(query: TushareQuery): Promise<TushareTable>;
}

const SEND_LOG_MS = 3_600_000;

/** Builds a client. Throws `CONFIG_INVALID` when there is no token. */
export function createTushareClient(options: TushareClientOptions): TushareClient {
  const tokens = options.tokens.filter((t) => t.trim() !== '');
  if (tokens.length === 0) {
    throw new IngestError(
      'CONFIG_INVALID',
      'Tushare needs an API token: set providers.tushare.token (e.g. ${TUSHARE_TOKEN}) or providers.tushare.tokens',
      { context: { path: 'providers.tushare.token' } },
    );
  }
  // Our own send times per (api, key): when the server says "N per minute", the window frees
  // once enough of them age out, which is a better wait than the 60 s worst case.
  const sendLog = new Map<string, number[]>();

  const windowWaitMs = (key: string, windowMs: number, limit: number): number | undefined => {
    const now = options.now();
    const inWindow = (sendLog.get(key) ?? []).filter((t) => t > now - windowMs);
    if (inWindow.length < limit) return undefined;
    const freeing = inWindow[inWindow.length - limit] as number;
    return freeing + windowMs - now;
  };

  const query = async (q: TushareQuery): Promise<TushareTable> => {
    throwIfAborted(q.signal);
    const slot = await options.gate.acquire({
      provider: 'tushare',
      endpoint: q.api,
      keyCount: tokens.length,
      signal: q.signal,
    });
    try {
      return await send(q, slot.keyIndex);
    } finally {
      // Count the request from its answer: the server saw it some time before (see the gate).
      slot.done?.();
    }
  };

  const send = async (q: TushareQuery, keyIndex: number): Promise<TushareTable> => {
    const token = tokens[keyIndex];
    if (token === undefined) {
      throw new IngestError(
        'INTERNAL',
        `request gate returned key ${keyIndex} but Tushare has ${tokens.length} token(s)`,
      );
    }
    const tokenLast4 = token.slice(-4);
    const logKey = `${q.api}|${keyIndex}`;
    const log = sendLog.get(logKey) ?? [];
    const sentAt = options.now();
    sendLog.set(logKey, [...log.filter((t) => t > sentAt - SEND_LOG_MS), sentAt]);
    const ctx = { api: q.api, keyIndex, tokenLast4, ...(q.symbol === undefined ? {} : { symbol: q.symbol }) };

    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any([q.signal, timeout]);
    let text: string;
    let status: number;
    try {
      const res = await options.fetch(options.baseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_name: q.api, token, params: q.params, fields: q.fields.join(',') }),
        signal,
      });
      status = res.status;
      text = await res.text();
      options.logger.debug('tushare answered', {
        endpoint: q.api,
        keyIndex,
        status,
        bytes: text.length,
        ms: options.now() - sentAt,
        ...(q.symbol === undefined ? {} : { symbol: q.symbol }),
      });
    } catch (e) {
      throwIfAborted(q.signal);
      if (timeout.aborted)
        throw classifyTushareTransportFailure({ kind: 'timeout', timeoutMs: options.timeoutMs }, ctx);
      throw classifyTushareTransportFailure({ kind: 'network', cause: e }, ctx);
    }
    if (status < 200 || status >= 300) throw classifyTushareTransportFailure({ kind: 'http', status }, ctx);

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw classifyTushareTransportFailure(
        { kind: 'unparsable', detail: `invalid JSON, ${text.length} bytes, likely truncated`, cause: e },
        ctx,
      );
    }
    const envelope = body as { code?: unknown; msg?: unknown; data?: unknown };
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.code !== 'number') {
      throw classifyTushareTransportFailure(
        { kind: 'unparsable', detail: 'no numeric "code" in the envelope' },
        ctx,
      );
    }
    if (envelope.code !== 0) {
      // The token never belongs in a message, even if the server were to echo it.
      const msg = typeof envelope.msg === 'string' ? envelope.msg.replaceAll(token, `…${tokenLast4}`) : '';
      const error = classifyTushareAnswer(
        { code: envelope.code, msg },
        { ...ctx, windowWaitMs: (windowMs, limit) => windowWaitMs(logKey, windowMs, limit) },
      );
      options.logger.debug('tushare refused a request', { endpoint: q.api, keyIndex, code: error.code });
      throw error;
    }
    const data = envelope.data as
      { fields?: unknown; items?: unknown; has_more?: unknown } | null | undefined;
    if (!data || !Array.isArray(data.fields) || !Array.isArray(data.items)) {
      throw classifyTushareTransportFailure(
        { kind: 'unparsable', detail: 'code 0 without data.fields/data.items' },
        ctx,
      );
    }
    const fields = data.fields.map(String);
    const rows: Record<string, unknown>[] = [];
    for (const item of data.items) {
      if (!Array.isArray(item) || item.length !== fields.length) {
        throw classifyTushareTransportFailure(
          { kind: 'unparsable', detail: 'a row does not match data.fields' },
          ctx,
        );
      }
      const row: Record<string, unknown> = {};
      fields.forEach((f, i) => {
        row[f] = item[i];
      });
      rows.push(row);
    }
    return { fields, rows, hasMore: data.has_more === true, keyIndex };
  };

  return { keyCount: tokens.length, query };
}
