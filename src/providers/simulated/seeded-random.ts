/**
 * Seeded pseudo-random numbers for the simulated market. Every stream is derived from a key
 * (seed, symbol, trade date, purpose), so any symbol-day can be generated alone, in any order,
 * with the same result.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** Four 32-bit words of a string hash (cyrb128), used as PRNG state. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A 32-bit unsigned hash of the key parts. */
export function hashKey(...parts: readonly (string | number)[]): number {
  return cyrb128(parts.join('|'))[0];
}

/** A fast seeded generator (sfc32) whose stream is fixed by the key parts. */
export function seededRandom(...parts: readonly (string | number)[]): Random {
  // State lives in a typed array: 32-bit words kept in closure variables would be boxed as heap
  // numbers on every step, which made this ten times slower.
  const state = new Int32Array(cyrb128(parts.join('|')));
  const next: Random = () => {
    const a = state[0] as number;
    const b = state[1] as number;
    const c = state[2] as number;
    const d = ((state[3] as number) + 1) | 0;
    const t = (((a + b) | 0) + d) | 0;
    state[0] = b ^ (b >>> 9);
    state[1] = (c + (c << 3)) | 0;
    state[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    state[3] = d;
    return (t >>> 0) / 4294967296;
  };
  // sfc32 needs a few rounds to mix a hashed state.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A standard normal draw (Box–Muller). */
export function normalDraw(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) never happens
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** An exponential draw with mean 1. */
export function exponentialDraw(random: Random): number {
  return -Math.log(1 - random());
}
