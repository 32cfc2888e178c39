#!/usr/bin/env node
// The `certificatemanager` command. The CLI itself lives in core/cli (compiled to dist/).
import { runCli } from '../dist/core/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
