/** Validity and expiry math for the dashboard's countdown and warning. Pure; no DOM. */

type ExpiryStatus = 'not-yet-valid' | 'valid' | 'expiring' | 'expired';

interface Remaining {
  /** Whole days, hours, minutes and seconds left (all zero once expired). */
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  totalMs: number;
}

export interface ExpiryInfo {
  status: ExpiryStatus;
  /** Time left until notAfter (zeros when expired). */
  remaining: Remaining;
  /** Whole days since expiry (0 unless expired). */
  daysSinceExpiry: number;
  /** Time until notBefore (zeros unless not yet valid). */
  untilValid: Remaining;
  /** 0..1: how much of the validity period has passed. */
  elapsedFraction: number;
  /** Whole days left, rounded down; negative once expired. */
  daysLeft: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function splitDuration(ms: number): Remaining {
  const totalMs = Math.max(0, ms);
  return {
    days: Math.floor(totalMs / DAY),
    hours: Math.floor((totalMs % DAY) / HOUR),
    minutes: Math.floor((totalMs % HOUR) / MINUTE),
    seconds: Math.floor((totalMs % MINUTE) / SECOND),
    totalMs,
  };
}

/**
 * Where `now` stands in the validity period [notBefore, notAfter). The certificate is
 * "expiring" from `warningDays` days before notAfter; at notAfter it is expired.
 */
export function expiryInfo(notBefore: string | Date, notAfter: string | Date, now: Date, warningDays: number): ExpiryInfo {
  const start = new Date(notBefore).getTime();
  const end = new Date(notAfter).getTime();
  const t = now.getTime();
  const left = end - t;
  let status: ExpiryStatus;
  if (t < start) status = 'not-yet-valid';
  else if (left <= 0) status = 'expired';
  else if (left <= warningDays * DAY) status = 'expiring';
  else status = 'valid';
  const span = Math.max(1, end - start);
  return {
    status,
    remaining: splitDuration(left),
    daysSinceExpiry: left < 0 ? Math.floor(-left / DAY) : 0,
    untilValid: splitDuration(start - t),
    elapsedFraction: Math.min(1, Math.max(0, (t - start) / span)),
    daysLeft: Math.floor(left / DAY),
  };
}

/** How long until the countdown text can next change, so a timer wakes only when needed. */
export function nextTickMs(now: Date, resolution: 'second' | 'minute' = 'minute'): number {
  const unit = resolution === 'second' ? SECOND : MINUTE;
  return unit - (now.getTime() % unit) + 5;
}
