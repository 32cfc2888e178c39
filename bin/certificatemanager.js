#!/usr/bin/env node
// The `certificatemanager` command. The CLI itself lives in core/cli: compiled to dist/core/ and
// bundled into dist/cli/ (one file per command, for start-up time) by `npm run build:core`.
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
