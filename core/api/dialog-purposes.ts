/**
 * What the renderer may ask a native file dialog for, written once: the contract's schemas, the
 * service, the path grants and Electron's dialog options (which must give each purpose a title
 * and filters, checked at compile time) all take these lists. No imports: the preload and the
 * renderer may bundle it.
 */
export const OPEN_PURPOSES = ['backup'] as const;
export const SAVE_PURPOSES = ['backup', 'agent-certificate', 'clients-csv', 'history-csv', 'pfx'] as const;
export type OpenPurpose = (typeof OPEN_PURPOSES)[number];
export type SavePurpose = (typeof SAVE_PURPOSES)[number];
/** A grant remembers which dialog a path came from. */
export type PathPurpose = `open-${OpenPurpose}` | `save-${SavePurpose}`;
