#!/usr/bin/env node
// The `certificatemanager` command exactly as bin/certificatemanager.js runs it (the same bundle,
// the same parsing, streams, locks and exit codes), except that new backups are protected with
// 1,000 PBKDF2 iterations instead of 600,000. Most real-process tests kill, race or feed bad
// input to the command; at full strength they spent most of their time in key stretching.
// test/helpers/cli.ts runs this unless a test asks for full strength.
import { runCli } from '../../dist/cli/main.js';

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
  { iterations: 1000 },
);
