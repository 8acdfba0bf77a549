import { A_SHARE_TRADING_DAYS } from '../../domain/calendar.js';
import type { Ticker } from '../../domain/ticker.js';
import type { Random } from './seeded-random.js';
import { seededRandom } from './seeded-random.js';

/** The listings of the simulated market. */
export interface SimulatedUniverse {
  /** Listed symbols, sorted. */
  listed: readonly Ticker[];
  /** Delisted symbols and their last trading day (`YYYY-MM-DD`); no data after it. */
  delisted: ReadonlyMap<Ticker, string>;
  /**
   * Listed symbols whose listing day falls inside the calendar (about 1 in 100, none of the
   * well-known four): no data before it.
   */
  listedOn: ReadonlyMap<Ticker, string>;
}

/** Symbols users try first; always listed when the universe has room for them. */
export const WELL_KNOWN_SYMBOLS: readonly Ticker[] = ['000001.SZ', '000002.SZ', '600000.SH', '600519.SH'];

// Share of each board in the real market (approximate listing counts, 2025), with real prefixes.
const BOARDS: readonly { weight: number; suffix: 'SH' | 'SZ' | 'BJ'; prefixes: readonly string[] }[] = [
  { weight: 0.32, suffix: 'SH', prefixes: ['600', '601', '603', '605'] },
  { weight: 0.11, suffix: 'SH', prefixes: ['688'] },
  { weight: 0.28, suffix: 'SZ', prefixes: ['000', '001', '002', '003'] },
  { weight: 0.24, suffix: 'SZ', prefixes: ['300', '301'] },
  {
    weight: 0.05,
    suffix: 'BJ',
    prefixes: [
      '430',
      '830',
      '831',
      '832',
      '833',
      '834',
      '835',
      '836',
      '837',
      '838',
      '839',
      '870',
      '871',
      '872',
      '873',
      '920',
    ],
  },
];

function randomCode(random: Random): Ticker {
  let r = random();
  let board = BOARDS[BOARDS.length - 1] as (typeof BOARDS)[number];
  for (const b of BOARDS) {
    if (r < b.weight) {
      board = b;
      break;
    }
    r -= b.weight;
  }
  const prefix = board.prefixes[Math.floor(random() * board.prefixes.length)] as string;
  const rest = String(Math.floor(random() * 1000)).padStart(3, '0');
  return `${prefix}${rest}.${board.suffix}`;
}

/**
 * The simulated market's listings for a seed: `size` listed symbols (the well-known four first
 * when `size` ≥ 4) and a few delisted ones, all with real code prefixes per board. One listed
 * symbol in a hundred was listed inside the calendar (from its own random stream, so the
 * listings themselves do not depend on it).
 */
export function simulatedUniverse(seed: number, size: number): SimulatedUniverse {
  const random = seededRandom(seed, 'universe');
  const listed = new Set<Ticker>(size >= WELL_KNOWN_SYMBOLS.length ? WELL_KNOWN_SYMBOLS : []);
  while (listed.size < size) listed.add(randomCode(random));
  const delisted = new Map<Ticker, string>();
  const delistedCount = Math.max(3, Math.round(size * 0.02));
  const days = A_SHARE_TRADING_DAYS;
  while (delisted.size < delistedCount) {
    const code = randomCode(random);
    if (listed.has(code) || delisted.has(code)) continue;
    delisted.set(code, days[20 + Math.floor(random() * (days.length - 40))] as string);
  }
  const sorted = [...listed].sort();
  const listedOn = new Map<Ticker, string>();
  const newcomers = sorted.filter((s) => !WELL_KNOWN_SYMBOLS.includes(s));
  const newRandom = seededRandom(seed, 'listing');
  const newCount = Math.min(newcomers.length, Math.floor(size / 100));
  while (listedOn.size < newCount) {
    const code = newcomers[Math.floor(newRandom() * newcomers.length)] as Ticker;
    if (listedOn.has(code)) continue;
    listedOn.set(code, days[20 + Math.floor(newRandom() * (days.length - 40))] as string);
  }
  return { listed: sorted, delisted, listedOn };
}
