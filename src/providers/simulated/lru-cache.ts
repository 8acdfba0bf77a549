/** A small bounded least-recently-used map. Not shared: each owner creates its own. */
export interface LruCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  readonly size: number;
}

/** Creates an LRU map holding at most `maxEntries` values (≥ 1). */
export function createLruCache<V>(maxEntries: number): LruCache<V> {
  const limit = Math.max(1, Math.floor(maxEntries));
  // A Map iterates in insertion order: re-inserting on use keeps the oldest entry first.
  const map = new Map<string, V>();
  return {
    get(key) {
      const value = map.get(key);
      if (value !== undefined) {
        map.delete(key);
        map.set(key, value);
      }
      return value;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > limit) map.delete(map.keys().next().value as string);
    },
    get size() {
      return map.size;
    },
  };
}
