import { formatClock } from '../html/format.js';
import { html, type SafeHtml } from '../html/html.js';
import type { MinuteBucket } from './activity-log.js';

/** The plot's height in its own units (a bar of `top` calls is this tall). */
const PLOT_HEIGHT = 100;
/** A minute with calls is drawn at least this tall, so one call under a top of 1000 still shows. */
const MIN_BAR = 3;

/** The smallest of 1, 2, 5 × 10^k that is at least `value` (a tidy top for the y axis). */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Upstream calls per minute as a bar chart without script: the bars are an inline SVG stretched
 * to the width of its box (`preserveAspectRatio="none"`, one unit per minute), so a phone shows
 * the whole hour, not a scrolled-away corner of it; the axis labels are HTML text at the page's
 * own size. Errors are drawn over the bottom of their bar in red; each bar has a `<title>` for
 * the hover text; the y axis is topped at a tidy number; times are Beijing time.
 */
export function upstreamChart(buckets: readonly MinuteBucket[]): SafeHtml {
  const n = Math.max(1, buckets.length);
  const top = niceCeiling(Math.max(0, ...buckets.map((b) => b.calls)));
  const total = buckets.reduce((sum, b) => sum + b.calls, 0);
  const errors = buckets.reduce((sum, b) => sum + b.errors, 0);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const label = `Upstream calls per minute: ${total} calls, ${errors} errors in the last ${buckets.length} minutes`;
  const height = (count: number) => (count === 0 ? 0 : round(Math.max(MIN_BAR, (count / top) * PLOT_HEIGHT)));

  const bars = buckets.map((b, i) => {
    if (b.calls === 0) return '';
    const h = height(b.calls);
    const eh = Math.min(h, height(b.errors));
    const tip = `${formatClock(b.start)} · ${b.calls} calls${b.errors ? `, ${b.errors} errors` : ''}`;
    return html`<g><title>${tip}</title><rect class="bar" x="${i + 0.1}" y="${round(PLOT_HEIGHT - h)}" width="0.8" height="${h}" data-calls="${b.calls}"></rect>${
      b.errors > 0
        ? html`<rect class="bar err" x="${i + 0.1}" y="${round(PLOT_HEIGHT - eh)}" width="0.8" height="${eh}" data-errors="${b.errors}"></rect>`
        : ''
    }</g>`;
  });

  return html`<figure class="chart" role="img" aria-label="${label}">
<div class="chart-plot"><span class="chart-y ymax">${top}</span><span class="chart-y y0">0</span>
<svg viewBox="0 0 ${n} ${PLOT_HEIGHT}" preserveAspectRatio="none" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">${bars}</svg>
${total === 0 ? html`<span class="chart-empty">暂无调用 <span class="en" lang="en">/ no upstream calls in this window</span></span>` : ''}</div>
<figcaption class="chart-x"><span>${first ? formatClock(first.start) : ''}</span><span>${last ? formatClock(last.start) : ''}</span></figcaption>
</figure>`;
}
