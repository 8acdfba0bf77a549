import { describe, expect, it } from 'vitest';
import { InsertBatcher } from './insert-batcher.js';

type Row = { w: number; i: number };

/** A manual timer: `fire()` runs what is due. */
function manualTimer() {
  const timers: { fn: () => void; delayMs: number; cancelled: boolean }[] = [];
  return {
    timers,
    setTimer(fn: () => void, delayMs: number) {
      const t = { fn, delayMs, cancelled: false };
      timers.push(t);
      return () => {
        t.cancelled = true;
      };
    },
    fire() {
      for (const t of timers.splice(0)) if (!t.cancelled) t.fn();
    },
  };
}

const rowsOf = (w: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ w, i }));
/** The parts of one write: `n` rows of write `w` in `table`, slice key `table|w` unless given. */
function parts<T extends string>(spec: [T, Row[], string?][]) {
  return spec.map(([table, rows, key]) => ({ table, rows, key: key ?? `${table}|${rows[0]?.w ?? 'empty'}` }));
}
const settle = () => new Promise((r) => setImmediate(r));

describe('InsertBatcher', () => {
  it('coalesces many small writes into one insert per table when the timer fires', async () => {
    const timer = manualTimer();
    const inserts: { table: string; rows: Row[] }[] = [];
    const b = new InsertBatcher<'t' | 'u', Row>({
      batchRows: 1000,
      batchMs: 250,
      idleLingerMs: 5,
      maxConcurrentInserts: 2,
      setTimer: timer.setTimer,
      insert: async (p) => void inserts.push(p),
    });
    let resolved = 0;
    const writes = Array.from({ length: 50 }, (_, w) =>
      b
        .add(
          parts<'t' | 'u'>([
            ['t', rowsOf(w, 3)],
            ['u', w % 2 === 0 ? rowsOf(w, 1) : [], `u|${w}`],
          ]),
        )
        .then(() => resolved++),
    );
    await settle();
    expect(inserts).toHaveLength(0);
    expect(resolved).toBe(0);
    expect(timer.timers).toHaveLength(1);
    expect(timer.timers[0]?.delayMs).toBe(5); // idle: only a short linger
    timer.fire();
    await Promise.all(writes);
    expect(inserts.map((i) => [i.table, i.rows.length])).toEqual([
      ['t', 150],
      ['u', 25],
    ]);
    // Rows keep write order within a table, so the last row of an identity stays last.
    expect(inserts[0]?.rows.slice(0, 4)).toEqual([
      { w: 0, i: 0 },
      { w: 0, i: 1 },
      { w: 0, i: 2 },
      { w: 1, i: 0 },
    ]);
  });

  it('sends as soon as batchRows rows wait, and splits big writes into inserts of batchRows', async () => {
    const timer = manualTimer();
    const sizes: number[] = [];
    const b = new InsertBatcher<'t', Row>({
      batchRows: 10,
      batchMs: 1000,
      maxConcurrentInserts: 1,
      setTimer: timer.setTimer,
      insert: async (p) => void sizes.push(p.rows.length),
    });
    const small = b.add(parts([['t', rowsOf(1, 4)]]));
    const big = b.add(parts([['t', rowsOf(2, 23)]]));
    await Promise.all([small, big]);
    expect(sizes).toEqual([10, 10, 7]);
    expect(b.pendingRows).toBe(0);
    timer.fire(); // the cancelled timer must not send anything
    expect(sizes).toEqual([10, 10, 7]);
  });

  it('rejects exactly the writes whose rows were in a failed insert', async () => {
    const timer = manualTimer();
    const b = new InsertBatcher<'t', Row>({
      batchRows: 5,
      batchMs: 1000,
      maxConcurrentInserts: 4,
      setTimer: timer.setTimer,
      insert: async ({ rows }) => {
        if (rows.some((r) => r.w === 2)) throw new Error('boom');
      },
    });
    // Inserts: [w1 x3, w2 x2] fails, [w3 x5] ok, [w4 x2] ok (sent by flush).
    const results = await Promise.allSettled([
      b.add(parts([['t', rowsOf(1, 3)]])),
      b.add(parts([['t', rowsOf(2, 2)]])),
      b.add(parts([['t', rowsOf(3, 5)]])),
      (async () => {
        const p = b.add(parts([['t', rowsOf(4, 2)]]));
        await b.flush();
        return p;
      })(),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('boom'));
  });

  it('fails a write spanning two inserts when either fails, and only after both settled', async () => {
    const release: (() => void)[] = [];
    let call = 0;
    const b = new InsertBatcher<'t', Row>({
      batchRows: 4,
      batchMs: 0,
      maxConcurrentInserts: 2,
      setTimer: () => () => {},
      insert: () => {
        const n = call++;
        return new Promise<void>((resolve, reject) =>
          release.push(() => (n === 0 ? reject(new Error('first')) : resolve())),
        );
      },
    });
    let state = 'pending';
    const p = b.add(parts([['t', rowsOf(1, 8)]])).then(
      () => (state = 'ok'),
      () => (state = 'failed'),
    );
    await settle();
    expect(release).toHaveLength(2);
    release[0]?.();
    await settle();
    expect(state).toBe('pending');
    release[1]?.();
    await p;
    expect(state).toBe('failed');
  });

  it('never runs more than maxConcurrentInserts inserts at once', async () => {
    let running = 0;
    let peak = 0;
    const b = new InsertBatcher<'t', Row>({
      batchRows: 1,
      batchMs: 0,
      maxConcurrentInserts: 3,
      setTimer: () => () => {},
      insert: async () => {
        running++;
        peak = Math.max(peak, running);
        await settle();
        running--;
      },
    });
    await b.add(parts([['t', rowsOf(1, 20)]])); // 20 inserts of one row in one batch
    expect(peak).toBe(3);
  });

  it('resolves an empty write at once without an insert', async () => {
    let inserts = 0;
    const b = new InsertBatcher<'t', Row>({
      batchRows: 10,
      batchMs: 0,
      maxConcurrentInserts: 1,
      setTimer: () => () => {},
      insert: async () => void inserts++,
    });
    await b.add([]);
    await b.flush();
    expect(inserts).toBe(0);
  });

  it('lets a later part of the same slice replace the earlier one in the open batch', async () => {
    const timer = manualTimer();
    const inserted: Row[] = [];
    const b = new InsertBatcher<'t', Row>({
      batchRows: 100,
      batchMs: 10,
      maxConcurrentInserts: 1,
      setTimer: timer.setTimer,
      insert: async ({ rows }) => void inserted.push(...rows),
    });
    const first = b.add(parts([['t', rowsOf(1, 5), 'unit-a']]));
    const other = b.add(parts([['t', rowsOf(2, 2), 'unit-b']]));
    const second = b.add(parts([['t', rowsOf(3, 3), 'unit-a']]));
    expect(b.pendingRows).toBe(5);
    timer.fire();
    await Promise.all([first, other, second]);
    expect(inserted.map((r) => r.w)).toEqual([2, 2, 3, 3, 3]);
  });

  it('prepares each batch with its slices (also empty ones) before inserting, one batch at a time', async () => {
    const timer = manualTimer();
    const log: string[] = [];
    let releaseFirst: () => void = () => {};
    const b = new InsertBatcher<'t', Row>({
      batchRows: 100,
      batchMs: 10,
      maxConcurrentInserts: 4,
      setTimer: timer.setTimer,
      prepare: async (ps) => void log.push(`prepare ${ps.map((p) => `${p.key}:${p.rows.length}`).join(',')}`),
      insert: ({ rows }) => {
        log.push(`insert ${rows.length}`);
        return rows[0]?.w === 1 ? new Promise<void>((r) => (releaseFirst = r)) : Promise.resolve();
      },
    });
    const a = b.add(parts([['t', rowsOf(1, 2), 'x']]));
    timer.fire();
    await settle();
    const emptyWrite = b.add(parts([['t', [], 'y']]));
    timer.fire();
    await settle();
    expect(log).toEqual(['prepare x:2', 'insert 2']); // the second batch waits for the first
    releaseFirst();
    await Promise.all([a, emptyWrite]);
    expect(log).toEqual(['prepare x:2', 'insert 2', 'prepare y:0']);
  });

  it('rejects every write of a batch whose prepare failed, and inserts nothing', async () => {
    let inserts = 0;
    const b = new InsertBatcher<'t', Row>({
      batchRows: 3,
      batchMs: 0,
      maxConcurrentInserts: 1,
      setTimer: () => () => {},
      prepare: async () => {
        throw new Error('delete failed');
      },
      insert: async () => void inserts++,
    });
    const results = await Promise.allSettled([
      b.add(parts([['t', rowsOf(1, 1)]])),
      b.add(parts([['t', rowsOf(2, 2)]])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(inserts).toBe(0);
  });

  it('group-commits: rows arriving during an insert go out right after it, not after batchMs', async () => {
    const timer = manualTimer();
    const sizes: number[] = [];
    let releaseFirst: () => void = () => {};
    const b = new InsertBatcher<'t', Row>({
      batchRows: 1000,
      batchMs: 60_000,
      idleLingerMs: 0,
      maxConcurrentInserts: 1,
      setTimer: timer.setTimer,
      insert: ({ rows }) => {
        sizes.push(rows.length);
        return sizes.length === 1 ? new Promise<void>((r) => (releaseFirst = r)) : Promise.resolve();
      },
    });
    const first = b.add(parts([['t', rowsOf(1, 2)]]));
    expect(timer.timers.map((t) => t.delayMs)).toEqual([0]);
    timer.fire();
    await settle();
    const later = [b.add(parts([['t', rowsOf(2, 3)]])), b.add(parts([['t', rowsOf(3, 4)]]))];
    expect(timer.timers.map((t) => t.delayMs)).toEqual([60_000]); // busy: the long linger applies
    releaseFirst();
    await Promise.all([first, ...later]);
    expect(sizes).toEqual([2, 7]);
  });
});
