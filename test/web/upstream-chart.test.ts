import { describe, expect, it } from 'vitest';
import type { MinuteBucket } from '../../src/web/activity/activity-log.js';
import { niceCeiling, upstreamChart } from '../../src/web/activity/upstream-chart.js';
import { STYLESHEET } from '../../src/web/html/stylesheet.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0); // 20:00 in Beijing
const buckets = (counts: [number, number][]): MinuteBucket[] =>
  counts.map(([calls, errors], i) => ({ start: T0 + i * 60_000, calls, errors }));

function rects(svg: string): { cls: string; y: number; height: number; x: number; width: number }[] {
  return [
    ...svg.matchAll(/<rect class="([^"]+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g),
  ].map((m) => ({
    cls: m[1]!,
    x: Number(m[2]),
    y: Number(m[3]),
    width: Number(m[4]),
    height: Number(m[5]),
  }));
}

describe('upstream chart', () => {
  it('draws a bar per non-empty minute, scaled to a tidy top, with errors in red over it', () => {
    const chart = upstreamChart(
      buckets([
        [0, 0],
        [4, 0],
        [10, 3],
        [0, 0],
      ]),
    ).value;
    expect(chart.startsWith('<figure class="chart" role="img"')).toBe(true);
    expect(chart).toContain('<span class="chart-y ymax">10</span>');
    // One unit per minute, stretched to the box: the whole window is always in view.
    expect(chart).toContain('<svg viewBox="0 0 4 100" preserveAspectRatio="none"');
    const bars = rects(chart);
    expect(bars.map((b) => b.cls)).toEqual(['bar', 'bar', 'bar err']);
    expect(bars[0]!.height).toBeCloseTo(40, 1);
    expect(bars[1]!.height).toBeCloseTo(100, 1);
    expect(bars[2]!.height).toBeCloseTo(30, 1);
    // Bars stand on the axis: y + height is the baseline.
    for (const bar of bars) expect(bar.y + bar.height).toBeCloseTo(100, 1);
    // Minute i is drawn in [i, i + 1); the error bar shares its minute's x.
    expect(bars[0]!.x).toBeCloseTo(1.1, 5);
    expect(bars[1]!.x).toBeCloseTo(2.1, 5);
    expect(bars[2]!.x).toBe(bars[1]!.x);
    expect(chart).toContain('<title>20:02 · 10 calls, 3 errors</title>');
    expect(chart).toContain('<figcaption class="chart-x"><span>20:00</span><span>20:03</span></figcaption>');
    expect(chart).toContain(
      'aria-label="Upstream calls per minute: 14 calls, 3 errors in the last 4 minutes"',
    );
  });

  it('draws a minute with a few calls under a high top tall enough to see', () => {
    const bars = rects(
      upstreamChart(
        buckets([
          [1000, 0],
          [1, 1],
        ]),
      ).value,
    );
    expect(bars[1]!.height).toBe(3);
    expect(bars[2]!.height).toBe(3);
  });

  it('says so when the window is empty', () => {
    const chart = upstreamChart(
      buckets([
        [0, 0],
        [0, 0],
      ]),
    ).value;
    expect(rects(chart)).toEqual([]);
    expect(chart).toContain('no upstream calls in this window');
    expect(chart).toContain('<span class="chart-y ymax">1</span>');
  });

  it('has no minimum width that would push the bars off a phone screen', () => {
    expect(STYLESHEET).not.toMatch(/\.chart[^{]*\{[^}]*min-width/);
  });

  it('tops the y axis at 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 2, 3, 7, 10, 11, 49, 51, 999].map(niceCeiling)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 50, 100, 1000,
    ]);
  });
});
