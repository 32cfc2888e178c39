/**
 * One run at a time for an action that changes the store (generate, import, restore, renew,
 * backup, settings). The flag is set synchronously on the first click or Enter, before any
 * await (validation included), so a second click or Enter that lands while the first is still
 * being checked is dropped here instead of reaching the core as a second request and coming
 * back to the admin as STORE_LOCKED.
 */
export class SingleFlight {
  /** True from the first click until the work settles: bind buttons' disabled and Dialog's busy to it. */
  running = $state(false);

  /** Runs `task` unless a run is in progress; a refused call resolves to undefined and does nothing. */
  async run<T>(task: () => Promise<T>): Promise<T | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      return await task();
    } finally {
      this.running = false;
    }
  }
}
