/**
 * CLI mode of the executable: run core/cli's runCli with the real standard streams and return
 * its exit code. No window is ever created on this path (main.ts decides, cli-args.ts).
 */
import type { CliIo } from '../../core/cli/main.js';

const flush = (stream: NodeJS.WritableStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));

/**
 * The CLI module is imported dynamically, so the window path never loads it; it resolves to
 * dist/core/cli/main.js next to dist/electron/.
 */
export async function runCliMode(args: string[], io: CliIo): Promise<number> {
  let code: number;
  try {
    const { runCli } = await import('../../core/cli/main.js');
    code = await runCli(args, io);
  } catch (error) {
    io.stderr.write(`certificatemanager: the command line could not run: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  await Promise.all([flush(io.stdout), flush(io.stderr)]);
  return Number.isInteger(code) ? code : 1;
}
