/** Formatting shared by the pages: times in Beijing time (WeChat's day), durations, numbers. */

const BEIJING = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const BEIJING_HMS = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const BEIJING_HM = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/**
 * Epoch milliseconds of a time as the login API may give it: epoch seconds, epoch ms or an ISO
 * string. Null when it is absent or unreadable.
 */
export function toEpochMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    if (/^\d+$/.test(value)) return toEpochMs(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  if (value instanceof Date) return value.getTime();
  return null;
}

/** `2026-01-01 20:00:00` in Beijing time, or `—`. */
export function formatTime(value: unknown): string {
  const ms = toEpochMs(value);
  return ms === null ? '—' : BEIJING.format(ms);
}

/** `20:00:05` in Beijing time (a time of today, where the date would be noise). */
export function formatTimeOfDay(ms: number): string {
  return BEIJING_HMS.format(ms);
}

/** `20:00` in Beijing time. */
export function formatClock(ms: number): string {
  return BEIJING_HM.format(ms);
}

/** A duration for people: `45 s`, `3 min 20 s`, `1 h 02 min`, `2 d 3 h`. Negative: `-` prefix. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return `${sign}${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${sign}${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${sign}${Math.floor(h / 24)} d ${h % 24} h`;
}
