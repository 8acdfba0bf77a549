#!/usr/bin/env node
/**
 * The `tickpipe` binary: the only place that calls `process.exit`.
 */
import { readFileSync } from 'node:fs';
import { processIo } from './cli-io.js';
import { runCli } from './run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const code = await runCli(process.argv.slice(2), processIo(), pkg.version);
// Let stdout drain before exiting (large query outputs into pipes).
if (process.stdout.destroyed || !process.stdout.writable) process.exit(code);
else process.stdout.write('', () => process.exit(code));
