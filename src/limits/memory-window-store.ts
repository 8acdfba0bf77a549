import { throwIfAborted } from '../errors.js';
import type { Clock } from './clock.js';
import type { ReserveParams, ReserveResult, WindowKey, WindowStore } from './window-store.js';

/** One recorded request of a window. */
interface Slot {
  id: string;
  atMs: number;
  /** Restamped already: a second restamp changes nothing (the port promises idempotence). */
  restamped?: true;
}

/** State of one (provider, endpoint, key) window. */
interface Window {
  /** Recorded requests, sorted by `atMs`. */
  slots: Slot[];
  pausedUntilMs: number;
}

const windowId = (key: WindowKey): string => `${key.provider}|${key.endpoint}|${key.keyIndex}`;
const pairId = (provider: string, endpoint: string): string => `${provider}|${endpoint}`;

function checkWindowMs(windowMs: number): void {
  if (!(Number.isFinite(windowMs) && windowMs > 0))
    throw new RangeError(`windowMs must be a positive number of milliseconds, got ${windowMs}`);
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
    throw new RangeError(`limit must be an integer >= 1 or undefined (unlimited), got ${limit}`);
}

/**
 * The {@link WindowStore} of one process: plain maps, every method resolves at once, so one
 * `tryReserve` is atomic by construction (no `await` inside). Time is the injected clock's.
 */
export class MemoryWindowStore implements WindowStore {
  readonly #clock: Clock;
  readonly #windows = new Map<string, Window>();
  readonly #learned = new Map<string, number>();
  /** provider → keyIndex → reason. */
  readonly #disabled = new Map<string, Map<number, string>>();
  #nextSlot = 0;

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock;
  }

  #window(key: WindowKey): Window {
    const id = windowId(key);
    let w = this.#windows.get(id);
    if (w === undefined) {
      w = { slots: [], pausedUntilMs: -Infinity };
      this.#windows.set(id, w);
    }
    return w;
  }

  /** Drops slots that left the window: a slot at t counts in `[t, t + windowMs)`. */
  #prune(w: Window, nowMs: number, windowMs: number): void {
    const cutoff = nowMs - windowMs;
    let i = 0;
    while (i < w.slots.length && (w.slots[i] as Slot).atMs <= cutoff) i++;
    if (i > 0) w.slots.splice(0, i);
  }

  async tryReserve(params: ReserveParams): Promise<ReserveResult> {
    throwIfAborted(params.signal);
    const { key, windowMs } = params;
    checkWindowMs(windowMs);
    checkLimit(params.limit);
    const reason = this.#disabled.get(key.provider)?.get(key.keyIndex);
    if (reason !== undefined) return { granted: false, retryAtMs: Infinity, disabledReason: reason };
    const nowMs = this.#clock.now();
    const w = this.#window(key);
    this.#prune(w, nowMs, windowMs);
    if (w.pausedUntilMs > nowMs) return { granted: false, retryAtMs: w.pausedUntilMs };
    const learned = this.#learned.get(pairId(key.provider, key.endpoint));
    const limit =
      params.limit === undefined
        ? learned
        : learned === undefined
          ? params.limit
          : Math.min(params.limit, learned);
    if (limit !== undefined && w.slots.length >= limit) {
      // The window must drop to limit - 1 slots: wait until slot #(count - limit) leaves it.
      return { granted: false, retryAtMs: (w.slots[w.slots.length - limit] as Slot).atMs + windowMs };
    }
    const slot: Slot = { id: String(++this.#nextSlot), atMs: nowMs };
    insertSorted(w.slots, slot);
    return { granted: true, slotId: slot.id, atMs: nowMs };
  }

  async restamp(params: { key: WindowKey; slotId: string; windowMs: number }): Promise<void> {
    const w = this.#windows.get(windowId(params.key));
    if (w === undefined) return;
    const i = w.slots.findIndex((s) => s.id === params.slotId);
    if (i < 0 || (w.slots[i] as Slot).restamped) return;
    const [slot] = w.slots.splice(i, 1) as [Slot];
    slot.atMs = Math.max(slot.atMs, this.#clock.now());
    slot.restamped = true;
    insertSorted(w.slots, slot);
  }

  async pause(params: { key: WindowKey; forMs?: number; windowMs: number }): Promise<number> {
    checkWindowMs(params.windowMs);
    const nowMs = this.#clock.now();
    const w = this.#window(params.key);
    this.#prune(w, nowMs, params.windowMs);
    const untilMs =
      params.forMs !== undefined && params.forMs >= 0
        ? nowMs + params.forMs
        : (w.slots[0]?.atMs ?? nowMs) + params.windowMs;
    if (untilMs > w.pausedUntilMs) w.pausedUntilMs = untilMs;
    return w.pausedUntilMs;
  }

  async learnLimit(params: { provider: string; endpoint: string; limit: number }): Promise<boolean> {
    checkLimit(params.limit);
    const id = pairId(params.provider, params.endpoint);
    const current = this.#learned.get(id);
    if (current !== undefined && current <= params.limit) return false;
    this.#learned.set(id, params.limit);
    return true;
  }

  async learnedLimits(): Promise<Record<string, number>> {
    return Object.fromEntries(this.#learned);
  }

  async disableKey(params: { provider: string; keyIndex: number; reason: string }): Promise<void> {
    let reasons = this.#disabled.get(params.provider);
    if (reasons === undefined) this.#disabled.set(params.provider, (reasons = new Map()));
    // The first reason stays: later ones are usually the same rejection seen by other workers.
    if (!reasons.has(params.keyIndex)) reasons.set(params.keyIndex, params.reason);
  }

  async disabledKeys(provider: string): Promise<Map<number, string>> {
    return new Map(this.#disabled.get(provider));
  }

  async now(): Promise<number> {
    return this.#clock.now();
  }

  async close(): Promise<void> {
    this.#windows.clear();
  }
}

function insertSorted(slots: Slot[], slot: Slot): void {
  let i = slots.length;
  while (i > 0 && (slots[i - 1] as Slot).atMs > slot.atMs) i--;
  slots.splice(i, 0, slot);
}
