import { formatClock } from '../html/format.js';
import { html, type SafeHtml } from '../html/html.js';
import type { MinuteBucket } from './activity-log.js';

const WIDTH = 960;
const HEIGHT = 130;
const LEFT = 34;
const RIGHT = 6;
const TOP = 10;
const BOTTOM = 22;

/** The smallest of 1, 2, 5 × 10^k that is at least `value` (a tidy top for the y axis). */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Upstream calls per minute as an inline SVG bar chart (no script, no external file): one bar
 * per bucket, errors drawn over the bottom of their bar in red, a `<title>` per bar for the
 * hover text, the y axis topped at a tidy number, times in Beijing time.
 */
export function upstreamChart(buckets: readonly MinuteBucket[]): SafeHtml {
  const n = Math.max(1, buckets.length);
  const top = niceCeiling(Math.max(0, ...buckets.map((b) => b.calls)));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / n;
  const barW = Math.max(1, slot - (slot > 4 ? 1.5 : 0.5));
  const total = buckets.reduce((sum, b) => sum + b.calls, 0);
  const errors = buckets.reduce((sum, b) => sum + b.errors, 0);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const label = `Upstream calls per minute: ${total} calls, ${errors} errors in the last ${buckets.length} minutes`;

  const bars = buckets.map((b, i) => {
    if (b.calls === 0) return '';
    const x = round(LEFT + i * slot);
    const h = round((b.calls / top) * plotH);
    const eh = round((b.errors / top) * plotH);
    const tip = `${formatClock(b.start)} · ${b.calls} calls${b.errors ? `, ${b.errors} errors` : ''}`;
    return html`<g><title>${tip}</title><rect class="bar" x="${x}" y="${round(TOP + plotH - h)}" width="${round(barW)}" height="${h}" data-calls="${b.calls}"></rect>${
      b.errors > 0
        ? html`<rect class="bar err" x="${x}" y="${round(TOP + plotH - eh)}" width="${round(barW)}" height="${eh}" data-errors="${b.errors}"></rect>`
        : ''
    }</g>`;
  });

  return html`<div class="chart-wrap"><svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">
<title>${label}</title>
<line class="axis" x1="${LEFT}" y1="${TOP + plotH}" x2="${WIDTH - RIGHT}" y2="${TOP + plotH}"></line>
<line class="axis" x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotH}"></line>
<text x="${LEFT - 4}" y="${TOP + 8}" text-anchor="end" class="ymax">${top}</text>
<text x="${LEFT - 4}" y="${TOP + plotH}" text-anchor="end">0</text>
${bars}
${first ? html`<text x="${LEFT}" y="${HEIGHT - 6}">${formatClock(first.start)}</text>` : ''}
${last ? html`<text x="${WIDTH - RIGHT}" y="${HEIGHT - 6}" text-anchor="end">${formatClock(last.start)}</text>` : ''}
${total === 0 ? html`<text x="${LEFT + plotW / 2}" y="${TOP + plotH / 2}" text-anchor="middle">no upstream calls in this window / 暂无调用</text>` : ''}
</svg></div>`;
}
