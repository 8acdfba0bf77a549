/**
 * `tickpipe collect`: records order books and trades from a provider's real-time quotes through
 * each trading session (see `src/collect/`). Runs until `--until`, `--sessions`, Ctrl-C (exit 130)
 * or SIGTERM (exit 0, for service managers); a restart continues the day.
 */
import { setMaxListeners } from 'node:events';
import { parseTickerList, type Ticker } from '../../domain/ticker.js';
import { IngestError } from '../../errors.js';
import { systemClock, type Clock } from '../../limits/clock.js';
import { silentLogger } from '../../limits/logger.js';
import { computeFactors } from '../../factors/compute-factors.js';
import { createCollector, type CollectEvent } from '../../collect/collector.js';
import { parseIntervalMs } from '../../collect/fit-interval.js';
import { COLLECT_PROVIDERS, prepareCollect, type CollectProvider } from '../../collect/prepare-collect.js';
import { createScaledClock, parseScaledClock } from '../../collect/scaled-clock.js';
import { currentOrNextWindow, localTimeOfDay, nextLocalTime } from '../../collect/trading-sessions.js';
import { shanghaiDate } from '../../domain/dates.js';
import { describeStore } from '../../storage/create-store.js';
import { createClickHouseLive } from '../../storage/clickhouse/clickhouse-live.js';
import type { Store } from '../../storage/store.js';
import { withLive } from '../../storage/with-live.js';
import type { CliIo } from '../cli-io.js';
import { loadForCommand, openStore, type CommonFlags } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { learnedLimitsPath, readLearnedLimits, writeLearnedLimits } from '../learned-limits-file.js';

/** Flags of `tickpipe collect` as commander parses them. */
export interface CollectFlags extends CommonFlags {
  provider?: string;
  symbols?: string[];
  interval?: string;
  until?: string;
  sessions?: string;
  dryRun?: boolean;
  logFormat?: string;
}

/** Options resolved from the flags. */
export interface CollectOptions {
  provider: CollectProvider;
  symbols: readonly Ticker[] | 'ALL';
  intervalMs: number;
  /** `HH:MM:SS` exchange-local. */
  until?: string;
  sessions?: number;
}

/** Parses the flags; throws `USAGE` naming the flag. */
export function resolveCollectOptions(flags: CollectFlags): CollectOptions {
  const provider = flags.provider;
  if (provider === undefined || !(COLLECT_PROVIDERS as readonly string[]).includes(provider)) {
    throw new IngestError(
      'USAGE',
      `--provider: expected ${COLLECT_PROVIDERS.join(' or ')} (providers with real-time quotes), found ${provider === undefined ? 'nothing' : `"${provider}"`}`,
    );
  }
  if (!flags.symbols || flags.symbols.length === 0) {
    throw new IngestError('USAGE', '--symbols is required: ALL or a list such as 600000.SH 000001.SZ');
  }
  const joined = flags.symbols.join(' ').trim();
  if (joined.replace(/[\s,]/g, '') === '') {
    throw new IngestError(
      'USAGE',
      '--symbols: expected ALL or a list such as 600000.SH 000001.SZ, found an empty value',
    );
  }
  const symbols = /^all$/i.test(joined) ? 'ALL' : parseTickerList(flags.symbols);
  if (symbols === 'ALL' && provider === 'yahoo') {
    throw new IngestError(
      'USAGE',
      '--symbols ALL: Yahoo has no listing endpoint; list the symbols (or collect the whole market with --provider tushare)',
    );
  }
  const intervalMs = parseIntervalMs(flags.interval ?? '3s');
  if (intervalMs === undefined) {
    throw new IngestError(
      'USAGE',
      `--interval: expected a duration such as 3s, 500ms or 1m, found "${flags.interval}"`,
    );
  }
  let until: string | undefined;
  if (flags.until !== undefined) {
    const m = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(flags.until.trim());
    if (m === null) {
      throw new IngestError(
        'USAGE',
        `--until: expected HH:MM or HH:MM:SS (exchange-local time), found "${flags.until}"`,
      );
    }
    until = `${m[1]}:${m[2]}:${m[3] ?? '00'}`;
  }
  let sessions: number | undefined;
  if (flags.sessions !== undefined) {
    if (!/^\d+$/.test(flags.sessions) || Number(flags.sessions) < 1) {
      throw new IngestError('USAGE', `--sessions: expected a positive integer, found "${flags.sessions}"`);
    }
    sessions = Number(flags.sessions);
  }
  return {
    provider: provider as CollectProvider,
    symbols,
    intervalMs,
    ...(until !== undefined ? { until } : {}),
    ...(sessions !== undefined ? { sessions } : {}),
  };
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** Runs `tickpipe collect`; returns the exit code. */
export async function collectCommand(flags: CollectFlags, io: CliIo): Promise<ExitCode> {
  const options = resolveCollectOptions(flags);
  const loaded = loadForCommand(io, flags);
  const status = loaded.providers[options.provider];
  if (!status.enabled || !status.configured) {
    throw new IngestError(
      'CONFIG_INVALID',
      status.reason ?? `${options.provider} is not enabled: set providers.${options.provider}.enabled: true`,
    );
  }
  const format = flags.logFormat ?? 'plain';
  if (format !== 'plain' && format !== 'json') {
    throw new IngestError('USAGE', `--log-format: expected plain or json, found "${format}"`);
  }
  const redact = (s: string): string => loaded.redactor.redact(s);
  const say = (line: string): void => (format === 'json' ? io.stderr(redact(line)) : io.stdout(redact(line)));
  const clock: Clock = io.env.TICKPIPE_COLLECT_CLOCK
    ? createScaledClock(parseScaledClock(io.env.TICKPIPE_COLLECT_CLOCK))
    : systemClock;

  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  let stoppedBy: string | undefined;
  const unsubscribe = io.onInterrupt?.((signal) => {
    stoppedBy ??= signal ?? 'SIGINT';
    abort.abort();
  });
  const limitsPath = learnedLimitsPath(loaded.config);
  try {
    const prepared = await prepareCollect({
      config: loaded.config,
      provider: options.provider,
      symbols: options.symbols,
      requestedIntervalMs: options.intervalMs,
      clock,
      fetch: globalThis.fetch,
      logger: silentLogger,
      learnedLimits: readLearnedLimits(limitsPath),
      signal: abort.signal,
    });
    const { fitted, target } = prepared;
    const perSnapshot = Object.entries(prepared.requestsPerSnapshot)
      .map(([endpoint, n]) => `${n} ${endpoint}`)
      .join(' + ');
    if (fitted.raised) {
      say(
        `warning: --interval ${seconds(options.intervalMs)} needs more requests than the rate limit allows ` +
          `(${perSnapshot} per snapshot); using ${seconds(fitted.intervalMs)}, the smallest interval that fits`,
      );
    }
    const now = clock.now();
    const next = currentOrNextWindow(now);
    const untilMs = options.until !== undefined ? nextLocalTime(now, options.until) : undefined;
    const scope = target.wholeMarket
      ? `the whole market (${target.symbols.length} symbols)`
      : `${target.symbols.length} symbol(s)`;
    if (flags.dryRun) {
      say(`Dry run (nothing is written): collect ${options.provider} real-time quotes for ${scope}`);
      say(`Requests per snapshot: ${perSnapshot}`);
      say(
        `Effective interval: ${seconds(fitted.intervalMs)}${fitted.raised ? ` (raised from ${seconds(options.intervalMs)})` : ''}`,
      );
      say(`Calls per minute: ${Number(fitted.requestsPerMinute.toFixed(1))}`);
      say(
        `Next session: ${next.tradeDate} ${localTimeOfDay(Math.max(now, next.startMs))}–${localTimeOfDay(next.endMs)} Asia/Shanghai` +
          (untilMs !== undefined ? `; until ${shanghaiDate(untilMs)} ${options.until}` : ''),
      );
      say(`Store: ${describeStore(loaded.config)}`);
      return EXIT.OK;
    }

    const opened = await openStore(loaded);
    let store: Store = opened;
    if (opened.live === undefined && loaded.config.storage.backend === 'clickhouse') {
      try {
        store = withLive(opened, await createClickHouseLive(loaded.config.storage.clickhouse));
      } catch (e) {
        await opened.close().catch(() => undefined);
        throw e;
      }
    }
    const runId = `collect-${new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
    let minute = { polls: 0, failed: 0, stored: 0, trades: 0, startedAt: now };
    let totals = { stored: 0, trades: 0 };
    const onEvent = (e: CollectEvent): void => {
      if (format === 'json') {
        io.stdout(redact(JSON.stringify(e)));
      }
      const at = (ms: number): string => localTimeOfDay(ms);
      switch (e.type) {
        case 'collect:sleeping':
          say(`Sleeping until ${e.next.tradeDate} ${at(e.untilMs)} (${e.next.name} session)`);
          break;
        case 'collect:window-open':
          say(
            `${e.window.tradeDate} ${e.window.name} session ${at(e.window.startMs)}–${at(e.window.endMs)}` +
              (e.restoredSymbols > 0 ? `: continuing from ${e.restoredSymbols} stored snapshot(s)` : ''),
          );
          break;
        case 'collect:polled':
          minute.polls++;
          minute.stored += e.stored;
          minute.trades += e.trades;
          totals = { stored: totals.stored + e.stored, trades: totals.trades + e.trades };
          if (e.closing || e.atMs - minute.startedAt >= 60_000) {
            say(
              `${at(e.atMs)} ${minute.polls} poll(s)${minute.failed > 0 ? `, ${minute.failed} failed` : ''}: ` +
                `${e.quotes} quotes, ${minute.stored} new snapshot(s), ${minute.trades} trade(s)${e.closing ? ' (closing poll)' : ''}`,
            );
            minute = { polls: 0, failed: 0, stored: 0, trades: 0, startedAt: e.atMs };
          }
          break;
        case 'collect:poll-failed':
          minute.failed++;
          say(
            `${at(e.atMs)} poll failed (${e.code}): ${e.message}${e.rateLimited ? ' — waiting for the rate limit' : '; retrying at the next tick'}`,
          );
          break;
        case 'collect:store-failed':
          say(
            `${at(e.atMs)} store unavailable, ${e.pendingRows} row(s) kept to write at the next tick: ${e.message}`,
          );
          break;
        case 'collect:store-recovered':
          say(`${at(e.atMs)} store back: ${e.rows} pending row(s) written`);
          break;
        case 'collect:volume-fell':
          say(
            `${at(e.atMs)} ${e.symbol}: the provider's cumulative volume fell; new baseline, no trade derived`,
          );
          break;
        case 'collect:day-closed':
          say(
            `${e.tradeDate} closed: factors for ${e.symbols - e.failed}/${e.symbols} symbol(s) (${e.factors} values)` +
              (e.failed > 0 ? `; ${e.failed} failed` : ''),
          );
          break;
      }
    };
    try {
      say(
        `Collecting ${options.provider} real-time quotes for ${scope} every ${seconds(fitted.intervalMs)} ` +
          `(${perSnapshot} per snapshot, ${Number(fitted.requestsPerMinute.toFixed(1))} calls/min) into ${describeStore(loaded.config)}`,
      );
      const collector = createCollector({
        source: prepared.source,
        target,
        store,
        clock,
        gate: prepared.gate,
        intervalMs: fitted.intervalMs,
        ...(untilMs !== undefined ? { untilMs } : {}),
        ...(options.sessions !== undefined ? { sessions: options.sessions } : {}),
        runId,
        computeFactors,
        onEvent,
      });
      const result = await collector.run(abort.signal);
      const why =
        result.reason === 'until'
          ? `reached --until ${options.until}`
          : result.reason === 'sessions'
            ? `${options.sessions} session(s) done`
            : `stopped by ${stoppedBy ?? 'signal'}`;
      say(
        `Collection ended (${why}): ${result.polls} poll(s), ${result.failedPolls} failed; ` +
          `${totals.stored} snapshot(s) and ${totals.trades} trade(s) stored` +
          (result.pendingRows > 0
            ? `; ${result.pendingRows} row(s) could not be written (store unavailable)`
            : ''),
      );
      if (result.reason === 'aborted') return stoppedBy === 'SIGTERM' ? EXIT.OK : EXIT.INTERRUPTED;
      return EXIT.OK;
    } finally {
      // A limit the provider stated during collection ("每分钟最多访问该接口N次") fits the next
      // start's interval, as `run` remembers it (README.md, "Configuration").
      try {
        writeLearnedLimits(limitsPath, await prepared.gate.learnedLimits());
      } finally {
        await store.close();
      }
    }
  } catch (e) {
    if (abort.signal.aborted && (e as { code?: string }).code === 'ABORTED') {
      return stoppedBy === 'SIGTERM' ? EXIT.OK : EXIT.INTERRUPTED;
    }
    throw e;
  } finally {
    unsubscribe?.();
  }
}
