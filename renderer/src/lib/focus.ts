/** Focus helpers for keyboard use: each page or dialog puts focus where work starts. */

const FOCUSABLE = 'input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

/**
 * Focuses, inside `root`, the element marked `data-autofocus`, else the first field, else the
 * heading marked `data-heading` (headings carry tabindex="-1" so a screen reader announces them).
 */
export function focusStart(root: HTMLElement | null | undefined, prefer: 'field' | 'heading' = 'field'): void {
  if (!root) return;
  const marked = root.querySelector<HTMLElement>('[data-autofocus]');
  const heading = root.querySelector<HTMLElement>('[data-heading]');
  // A file picker's button counts as a field: it is where the admin starts on that page.
  const field = root.querySelector<HTMLElement>('input:not([disabled]):not([type="hidden"]):not([type="radio"]):not([type="checkbox"]), select:not([disabled]), [data-field]:not([disabled])');
  const target = marked ?? (prefer === 'heading' ? heading ?? field : field ?? heading) ?? root.querySelector<HTMLElement>(FOCUSABLE);
  target?.focus();
}

/** Elements Tab can reach inside `root`, in order (visible, enabled, not tabindex=-1). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.tabIndex >= 0 && !el.hasAttribute('inert') && el.getClientRects().length > 0);
}

/** After a failed action: focus the error's title inside `root`, so the admin hears and sees what went wrong. */
export function focusError(root: HTMLElement | null | undefined): void {
  root?.querySelector<HTMLElement>('[data-error-title]')?.focus();
}
