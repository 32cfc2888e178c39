/**
 * Where the command line's standard input comes from, per platform.
 *
 * On win32, Electron replaces `process.stdin` in the main process with a stream that only ends
 * (electron/electron lib/common/init.ts: "Always returns EOF for stdin stream", a `Readable` that
 * is pushed `null` and defined on `process` as a non-configurable getter). So in the packaged app
 * `-g - < password.txt`, `echo %P%| certificatemanager -b - a.zip` and the hidden prompt would
 * all see an empty input. Descriptor 0 itself is fine: the console launcher hands the child its
 * own standard input handle (STARTF_USESTDHANDLES), and libuv maps fd 0 to that handle. So on
 * win32 we open fd 0 ourselves:
 * - a console (isatty): a `tty.ReadStream`, which has `setRawMode` for the hidden prompt;
 * - a pipe or a file: an `fs.ReadStream` on fd 0, read to its end.
 * Elsewhere `process.stdin` is Node's own and already right.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import tty from 'node:tty';

interface ConsoleInputDeps {
  platform: NodeJS.Platform;
  /** The host's `process.stdin` (Electron's ending stream on win32). */
  processStdin: Readable;
  isatty?: (fd: number) => boolean;
  openConsole?: (fd: number) => Readable;
  openFile?: (fd: number) => Readable;
}

/** Descriptor 0: the standard input the launcher (or cmd.exe, or PowerShell) gave the process. */
export const STDIN_FD = 0;

/** The readable standard input for the command line. Opens nothing until called. */
export function standardInput(deps: ConsoleInputDeps): Readable {
  if (deps.platform !== 'win32') return deps.processStdin;
  const isatty = deps.isatty ?? tty.isatty;
  const openConsole = deps.openConsole ?? ((fd: number) => new tty.ReadStream(fd));
  // autoClose false: fd 0 belongs to the process, not to this stream.
  const openFile = deps.openFile ?? ((fd: number) => createReadStream('', { fd, autoClose: false }));
  return isatty(STDIN_FD) ? openConsole(STDIN_FD) : openFile(STDIN_FD);
}
