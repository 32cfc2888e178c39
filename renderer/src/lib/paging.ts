/** Server-side paging arithmetic for the clients and logs tables. Pure. */

interface PageInfo {
  /** 1-based page number and count (at least 1). */
  page: number;
  pages: number;
  /** 1-based first and last row shown; 0 and 0 when empty. */
  from: number;
  to: number;
  hasPrevious: boolean;
  hasNext: boolean;
  previousOffset: number;
  nextOffset: number;
  lastOffset: number;
}

export function pageInfo(total: number, offset: number, limit: number): PageInfo {
  const size = Math.max(1, Math.floor(limit));
  const lastOffset = total > 0 ? Math.floor((total - 1) / size) * size : 0;
  const start = Math.min(Math.max(0, Math.floor(offset)), lastOffset);
  return {
    page: Math.floor(start / size) + 1,
    pages: Math.max(1, Math.ceil(total / size)),
    from: total === 0 ? 0 : start + 1,
    to: Math.min(total, start + size),
    hasPrevious: start > 0,
    hasNext: start + size < total,
    previousOffset: Math.max(0, start - size),
    nextOffset: Math.min(lastOffset, start + size),
    lastOffset,
  };
}

/** When the total shrank under the current offset (filters changed, rows fixed), step back. */
export function clampOffset(total: number, offset: number, limit: number): number {
  return Math.min(Math.max(0, Math.floor(offset)), pageInfo(total, offset, limit).lastOffset);
}
