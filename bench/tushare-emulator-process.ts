/**
 * Runs the Tushare emulator in a child process for `rate-limit.bench.ts`, so that the server's
 * arrival times are not delayed by the benchmark's own CPU work (as a remote server's are not).
 * Started with `fork()`; options arrive as JSON in argv[2]. Messages: sends `{ url }` when
 * listening; answers `'requests'` with `{ requests }` (the request log); exits on `'close'`.
 */
import {
  startTushareEmulator,
  type TushareEmulatorOptions,
} from '../test/emulators/tushare/tushare-emulator.js';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as TushareEmulatorOptions;
  const emu = await startTushareEmulator(options);
  process.on('message', (message) => {
    if (message === 'requests') process.send?.({ requests: emu.state.requests });
    if (message === 'close') void emu.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void emu.close().then(() => process.exit(0)));
  process.send?.({ url: emu.url });
}

await main();
