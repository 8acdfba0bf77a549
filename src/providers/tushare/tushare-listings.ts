/**
 * The Tushare universe and listing life, both from `stock_basic` (one call per `list_status`,
 * shared): `--symbols ALL`, the listing and delisting dates that keep the planner from asking for
 * days a symbol was not listed, and the check of explicit symbols against every listing (Tushare
 * answers an unknown code with an empty table, which would otherwise read as "no trades").
 * See docs/PROVIDERS.md, "Tushare Pro".
 */
import type { ListingLife } from '../../domain/listing-life.js';
import { isAShare, type Ticker } from '../../domain/ticker.js';
import { IngestError } from '../../errors.js';
import type { Provider } from '../provider.js';
import type { TushareClient } from './tushare-client.js';
import { isoDate } from './tushare-rows.js';

/** The provider methods that read `stock_basic`. */
export type TushareListings = Required<Pick<Provider, 'universe' | 'listings' | 'checkSymbols'>>;

/** Creates the `stock_basic` readers of one provider (answers cached per list status). */
export function createTushareListings(client: TushareClient): TushareListings {
  // stock_basic answers per list_status, shared by universe() and listings(): one call each.
  const listingCache = new Map<string, Promise<Record<string, unknown>[]>>();
  const stockBasic = (status: string, signal: AbortSignal): Promise<Record<string, unknown>[]> => {
    let hit = listingCache.get(status);
    if (!hit) {
      hit = client
        .query({
          api: 'stock_basic',
          params: { list_status: status },
          fields: ['ts_code', 'list_status', 'list_date', 'delist_date'],
          signal,
        })
        .then((t) => t.rows);
      listingCache.set(status, hit);
      hit.catch(() => listingCache.delete(status));
    }
    return hit;
  };

  let knownCodes: Promise<Set<Ticker>> | undefined;

  const universe: TushareListings['universe'] = async ({ includeDelisted, signal }) => {
    const statuses = includeDelisted ? ['L', 'D', 'P'] : ['L'];
    const codes = new Set<Ticker>();
    for (const status of statuses) {
      for (const row of await stockBasic(status, signal)) {
        if (typeof row['ts_code'] === 'string') codes.add(row['ts_code']);
      }
    }
    return [...codes].sort();
  };

  const checkSymbols: TushareListings['checkSymbols'] = async ({ symbols, signal }) => {
    const unknown = new Map<Ticker, IngestError>();
    const aShares = symbols.filter((s) => isAShare(s));
    for (const s of symbols) {
      if (!isAShare(s))
        unknown.set(
          s,
          notListed(s, 'Tushare serves A-share codes only (e.g. 600000.SH, 000001.SZ, 830799.BJ)'),
        );
    }
    if (aShares.length === 0) return unknown;
    // Tushare answers an unknown ts_code with an empty table, which would read as "no trades":
    // check the codes against every listing, delisted and suspended ones included.
    knownCodes ??= universe({ includeDelisted: true, signal }).then((codes) => new Set(codes));
    let known: Set<Ticker>;
    try {
      known = await knownCodes;
    } catch (e) {
      knownCodes = undefined;
      throw e;
    }
    for (const s of aShares) {
      if (!known.has(s))
        unknown.set(
          s,
          notListed(s, `not among the ${known.size} listed, delisted or suspended codes of stock_basic`),
        );
    }
    return unknown;
  };

  const listings: TushareListings['listings'] = async ({ signal }) => {
    // Listed, delisted and suspended listings: list_date and (for delisted) delist_date.
    const out = new Map<Ticker, ListingLife>();
    for (const status of ['L', 'D', 'P']) {
      for (const row of await stockBasic(status, signal)) {
        const code = row['ts_code'];
        if (typeof code !== 'string') continue;
        const first = row['list_date'];
        const last = row['delist_date'];
        out.set(code, {
          ...(typeof first === 'string' && /^\d{8}$/.test(first) ? { firstDay: isoDate(first) } : {}),
          ...(typeof last === 'string' && /^\d{8}$/.test(last) ? { lastDay: isoDate(last) } : {}),
        });
      }
    }
    return out;
  };

  return { universe, listings, checkSymbols };
}

function notListed(symbol: Ticker, why: string): IngestError {
  return new IngestError('PROVIDER_NOT_FOUND', `Tushare does not know ${symbol}: ${why}`, {
    retryable: false,
    context: { provider: 'tushare', symbol },
  });
}
