/**
 * "The private key is readable by administrators only." The one place that knows how, per OS.
 *
 * POSIX: mode 0600 for files and 0700 for folders (owner only; the owner is root or the admin
 * who runs the tool). Windows: an explicit ACL, inheritance removed, granting Full control to
 * BUILTIN\Administrators (S-1-5-32-544) and LOCAL SYSTEM (S-1-5-18) only, set with icacls by
 * SID so it works on every display language of Windows.
 *
 * The platform and the command runner are injected, so the Windows logic is tested on Linux.
 */
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CertManagerError } from '../errors.js';

type CommandRunner = (file: string, args: string[]) => Promise<void>;

const execFileAsync = promisify(execFile);
const defaultRunner: CommandRunner = async (file, args) => {
  await execFileAsync(file, args, { windowsHide: true });
};

const ADMINISTRATORS_SID = 'S-1-5-32-544';
const SYSTEM_SID = 'S-1-5-18';

/** The icacls arguments that leave `path` to Administrators and SYSTEM alone. */
export function windowsAclArguments(path: string, kind: 'file' | 'directory'): string[] {
  // On a folder, (OI)(CI) makes files and subfolders created later inherit the same ACL.
  const rights = kind === 'directory' ? '(OI)(CI)(F)' : '(F)';
  return [path, '/inheritance:r', '/grant:r', `*${ADMINISTRATORS_SID}:${rights}`, `*${SYSTEM_SID}:${rights}`];
}

/**
 * On Windows any user may create folders under %ProgramData%; a folder pre-created by a
 * non-administrator would stay theirs (owners keep the right to change the ACL). Taking
 * ownership for Administrators closes that.
 */
function windowsOwnerArguments(path: string): string[] {
  return [path, '/setowner', `*${ADMINISTRATORS_SID}`];
}

interface PermissionOptions {
  platform?: NodeJS.Platform;
  run?: CommandRunner;
  /** Where icacls lives; %SystemRoot%\System32\icacls.exe, never a PATH lookup. */
  systemRoot?: string;
}

export async function restrictToAdministrators(path: string, kind: 'file' | 'directory', options: PermissionOptions = {}): Promise<void> {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    const systemRoot = options.systemRoot ?? process.env['SystemRoot'] ?? 'C:\\Windows';
    const icacls = `${systemRoot}\\System32\\icacls.exe`;
    const run = options.run ?? defaultRunner;
    try {
      await run(icacls, windowsOwnerArguments(path));
      await run(icacls, windowsAclArguments(path, kind));
    } catch (cause) {
      // Typically a console that was not started with "Run as administrator".
      throw new CertManagerError('internal', 'ACCESS_DENIED', `Cannot make ${path} readable by administrators only. Run the command prompt as an administrator; nothing was changed.`, {}, { cause });
    }
    return;
  }
  await chmod(path, kind === 'file' ? 0o600 : 0o700);
}
