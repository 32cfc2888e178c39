/**
 * How the console launcher asks a running command (`serve`, `agent`) to stop cleanly.
 *
 * On Windows the packaged app is a GUI-subsystem Electron process: it has no console of its own,
 * so Ctrl+C in the admin's console reaches only the launcher (scripts/installer/launcher/
 * launcher.c), never Node's SIGINT. The launcher therefore connects to a named pipe keyed by the
 * child's process id, writes "stop\n", waits a few seconds, and only then terminates the child.
 * Here Node listens on that pipe (net.Server listens on Windows named pipes; on other systems the
 * same code listens on a unix socket path, which is how it is tested) and turns the request into
 * the stop the commands already handle.
 *
 * The peer is treated as hostile: it must send exactly STOP_REQUEST within MAX_REQUEST_BYTES, or
 * it is disconnected; onStop runs at most once however many peers ask.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const STOP_REQUEST = 'stop\n';
export const STOP_REPLY = 'stopping\n';
const MAX_REQUEST_BYTES = 64;

/** The pipe the launcher opens: must match launcher.c's STOP_PIPE_PREFIX. */
export function stopPipeName(pid: number, platform: NodeJS.Platform = process.platform, tmpDir: string = os.tmpdir()): string {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`not a process id: ${pid}`);
  return platform === 'win32' ? `\\\\.\\pipe\\certificatemanager-stop-${pid}` : path.join(tmpDir, `certificatemanager-stop-${pid}.sock`);
}

interface StopListener {
  close(): Promise<void>;
}

export async function listenForStopRequests(name: string, onStop: () => void): Promise<StopListener> {
  let stopped = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(5_000, () => socket.destroy());
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.length > MAX_REQUEST_BYTES) return void socket.destroy();
      if (received.length < STOP_REQUEST.length) {
        if (!STOP_REQUEST.startsWith(received)) socket.destroy();
        return;
      }
      if (received !== STOP_REQUEST) return void socket.destroy();
      socket.end(STOP_REPLY);
      if (!stopped) {
        stopped = true;
        onStop();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Never keep the process alive just for this.
  server.unref();
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
