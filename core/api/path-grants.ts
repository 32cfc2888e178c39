/**
 * The files the admin chose in a native dialog, per purpose. Operations that read or write a
 * file take only a path that a dialog of the right kind returned in this session.
 *
 * Why: paths come from the renderer, and the app runs elevated. Without this, a script running
 * in the window (a renderer bug, a compromised dependency) could have main write the private
 * key, under a password of its choice, to any folder or share; overwrite any file with a .cer
 * or .csv; or restore its own .pfx, which publishes a rotation every agent would follow. With
 * it, the renderer can only hand back what the admin picked; a dialog it opens still needs the
 * admin's click. (Electron's own advice: do not let the renderer name files for main.)
 *
 * A grant is kept for the session, not used up: the admin may inspect a backup, mistype its
 * password, and then restore it. Only the latest few per purpose are kept.
 */
import { usageError } from '../errors.js';
import type { PathPurpose } from './dialog-purposes.js';


const KEPT_PER_PURPOSE = 8;

export class PathGrants {
  private readonly granted = new Map<PathPurpose, string[]>();

  /** Records a path a native dialog returned; null (cancelled) grants nothing. */
  grant(purpose: PathPurpose, path: string | null): string | null {
    if (path === null) return null;
    const list = (this.granted.get(purpose) ?? []).filter((p) => p !== path);
    list.push(path);
    if (list.length > KEPT_PER_PURPOSE) list.shift();
    this.granted.set(purpose, list);
    return path;
  }

  /** The path, if the admin chose it for this purpose; otherwise a refusal that names the fix. */
  require(purpose: PathPurpose, path: string): string {
    if (this.granted.get(purpose)?.includes(path)) return path;
    throw usageError('PATH_NOT_CHOSEN', 'Choose the file again with the button that opens the file window.');
  }
}
