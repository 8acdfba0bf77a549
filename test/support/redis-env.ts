/**
 * Redis for tests: the shared test server (env `TICKPIPE_TEST_REDIS_URL`, started by
 * `scripts/services/start.sh`), or a private `redis-server` on a free port for tests that stop
 * and restart it (with an append-only file, so a restart keeps the queue like a production Redis).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** The env variable naming the shared test Redis. */
export const REDIS_URL_ENV = 'TICKPIPE_TEST_REDIS_URL';

/** The shared test Redis URL; throws when unset (tests needing Redis fail loudly, never skip). */
export function redisTestUrl(): string {
  const url = process.env[REDIS_URL_ENV];
  if (url === undefined || url === '') {
    throw new Error(
      `${REDIS_URL_ENV} is not set: start the services with scripts/services/start.sh BASE_DIR and source BASE_DIR/env.sh`,
    );
  }
  return url;
}

/** A unique name for queues and key prefixes. */
export function randomName(prefix = 'tptest'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A private redis-server that a test may stop and start again (same port, same data dir). */
export interface PrivateRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Stops the server (SIGTERM; AOF is fsynced on every write, so nothing is lost). */
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/** Starts a private redis-server with AOF persistence on a free port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tp-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const ping = async (): Promise<boolean> => {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  };
  const self: PrivateRedis = {
    url,
    port,
    async start() {
      child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'yes',
          '--appendfsync',
          'always',
          '--dir',
          dir,
          '--logfile',
          join(dir, 'redis.log'),
        ],
        { stdio: 'ignore' },
      );
      for (let i = 0; i < 100; i++) {
        if (await ping()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`redis-server on port ${port} did not start (log: ${join(dir, 'redis.log')})`);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
    async destroy() {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}
