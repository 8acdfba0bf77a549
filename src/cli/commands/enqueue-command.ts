/**
 * `tickpipe enqueue`: plans a run like `run` does and puts its jobs into the distributed queue
 * (README, "Running on several machines"); workers on any machine then run them. Ends with `Run RUN_ID enqueued: N jobs`.
 */
import { openJobQueue } from '../../distributed/bullmq-queue.js';
import { enqueueRun } from '../../distributed/enqueue-run.js';
import {
  connectConfiguredRedis,
  describeRedisUrl,
  requireServerStore,
} from '../../distributed/redis-setup.js';
import { createRunRegistry } from '../../distributed/run-registry.js';
import { createPipeline, newRunId } from '../../pipeline/create-pipeline.js';
import { productionDeps } from '../../pipeline/production-deps.js';
import { pipelineOptionsFromConfig } from '../../pipeline/pipeline-options.js';
import { formatCount } from '../../report/format.js';
import { describeStore } from '../../storage/create-store.js';
import type { CliIo } from '../cli-io.js';
import { openStore } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { loadForRun, resolveRunOptions, type RunFlags } from './run-command.js';

/** Runs `tickpipe enqueue`. */
export async function enqueueCommand(flags: RunFlags, io: CliIo): Promise<ExitCode> {
  const loaded = loadForRun(io, flags);
  // Routing problems (unknown or unconfigured provider) are usage errors found here.
  const options = resolveRunOptions(flags, loaded);
  requireServerStore(loaded, 'enqueue');
  const redact = (s: string) => loaded.redactor.redact(s);
  const json = flags.logFormat === 'json';
  const say = (line: string) => (json ? io.stderr(redact(line)) : io.stdout(redact(line)));
  const { url, redis } = await connectConfiguredRedis(loaded, { name: 'tickpipe-enqueue' });
  const queueName = loaded.config.distributed.queue;
  const queue = openJobQueue(url, queueName);
  const registry = createRunRegistry(redis, queueName);
  const store = await openStore(loaded);
  const abort = new AbortController();
  const unsubscribe = io.onInterrupt?.(() => abort.abort());
  try {
    const pipeline = createPipeline(
      pipelineOptionsFromConfig(loaded),
      productionDeps(loaded, { store, reporter: { onEvent: () => {} } }),
    );
    if (flags.dryRun) {
      const prepared = await pipeline.prepare(options, abort.signal);
      await pipeline.closeProviders(prepared.providers);
      say(
        `Dry run (nothing is enqueued): ${formatCount(prepared.plan.estimate.units)} unit(s) in ${formatCount(prepared.plan.estimate.jobs)} job(s); ` +
          `${formatCount(prepared.plan.estimate.skipped)} already done; ${formatCount(prepared.plan.estimate.unservable.reduce((n, u) => n + u.units, 0))} unservable`,
      );
      return EXIT.OK;
    }
    const result = await enqueueRun({
      options,
      prepare: (o, signal) => pipeline.prepare(o, signal),
      newRunId: () => newRunId(Date.now(), Math.random),
      queue,
      registry,
      now: () => Date.now(),
      signal: abort.signal,
    });
    await pipeline.closeProviders(result.prepared.providers);
    const { plan } = result.prepared;
    for (const w of result.prepared.warnings) say(`warning: ${w}`);
    say(`Queue "${queueName}" on ${describeRedisUrl(url)}; store ${describeStore(loaded.config)}`);
    say(
      `Planned ${formatCount(plan.symbols.length)} symbol(s): ${formatCount(plan.estimate.units)} unit(s) to do, ` +
        `${formatCount(plan.estimate.skipped)} already done, ${formatCount(plan.estimate.unservable.reduce((n, u) => n + u.units, 0))} unservable`,
    );
    if (result.alreadyQueued > 0)
      say(`${formatCount(result.alreadyQueued)} job(s) of this run were already queued (not added again)`);
    if (json) {
      io.stdout(
        JSON.stringify({
          time: new Date().toISOString(),
          type: 'run:enqueued',
          runId: result.runId,
          jobs: result.jobs,
          units: result.units,
          alreadyQueued: result.alreadyQueued,
          queue: queueName,
        }),
      );
    } else {
      say(`Run ${result.runId} enqueued: ${result.jobs} jobs`);
    }
    return EXIT.OK;
  } finally {
    unsubscribe?.();
    await queue.close();
    redis.disconnect();
    await store.close();
  }
}
