/**
 * Small file-system steps that survive a crash or power cut: data is flushed before a rename
 * makes it visible, and the folder is flushed after, so the rename itself is on disk.
 */
import { statSync } from 'node:fs';
import { open, rename, rm, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function writeFileDurable(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a folder so a rename inside it is durable. Windows cannot open folders: skipped. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Replace `path` with `data` atomically: readers see the old file or the new one, never a mix. */
/**
 * On Windows a rename over a file that another process has open (a reader, an antivirus
 * scanner) fails for a moment with EPERM/EBUSY; retry briefly, as graceful-fs does.
 */
export async function renameWithRetry(from: string, to: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await rename(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (platform !== 'win32' || attempt >= 20 || !(code === 'EPERM' || code === 'EACCES' || code === 'EBUSY')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * (attempt + 1)));
    }
  }
}

export async function replaceFileAtomically(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
  const temp = tempSibling(path);
  try {
    await writeFileDurable(temp, data, mode);
    await renameWithRetry(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** The process that made a temporary named by tempSibling, or null for another name. */
function temporaryWriter(name: string): number | null {
  const pid = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)?.[1];
  return pid === undefined ? null : Number(pid);
}

/**
 * Remove the leftovers of writes that a crash interrupted (files and folders named by
 * tempSibling), except those whose writer `stillWrites` (a live process's own temporary: removing
 * it while that process fills or renames it would cut what it is about to put in place).
 */
export async function removeStaleTemporaries(dir: string, prefix = '.', stillWrites: (pid: number) => boolean = () => false): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const stale = names.filter((n) => {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp')) return false;
    const pid = temporaryWriter(n);
    return pid === null || !stillWrites(pid);
  });
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true, recursive: true })));
}

/**
 * Which file or folder this is: device, inode and birth time. One removed and made again under
 * the same name gets a new identity (the inode alone may be reused at once; the birth time is
 * not, where the file system records one). null when it does not exist.
 */
export function pathIdentity(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
  } catch {
    return null;
  }
}
