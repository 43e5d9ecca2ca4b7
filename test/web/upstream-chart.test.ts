import { describe, expect, it } from 'vitest';
import type { MinuteBucket } from '../../src/web/activity/activity-log.js';
import { niceCeiling, upstreamChart } from '../../src/web/activity/upstream-chart.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0); // 20:00 in Beijing
const buckets = (counts: [number, number][]): MinuteBucket[] =>
  counts.map(([calls, errors], i) => ({ start: T0 + i * 60_000, calls, errors }));

function rects(svg: string): { cls: string; y: number; height: number; x: number }[] {
  return [
    ...svg.matchAll(/<rect class="([^"]+)" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g),
  ].map((m) => ({ cls: m[1]!, x: Number(m[2]), y: Number(m[3]), height: Number(m[4]) }));
}

describe('upstream chart (inline SVG)', () => {
  it('draws a bar per non-empty minute, scaled to a tidy top, with errors in red over it', () => {
    const svg = upstreamChart(
      buckets([
        [0, 0],
        [4, 0],
        [10, 3],
        [0, 0],
      ]),
    ).value;
    expect(svg.startsWith('<div class="chart-wrap"><svg class="chart"')).toBe(true);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('class="ymax">10</text>');
    const bars = rects(svg);
    expect(bars.map((b) => b.cls)).toEqual(['bar', 'bar', 'bar err']);
    const plot = 130 - 10 - 22;
    expect(bars[0]!.height).toBeCloseTo((4 / 10) * plot, 1);
    expect(bars[1]!.height).toBeCloseTo(plot, 1);
    expect(bars[2]!.height).toBeCloseTo((3 / 10) * plot, 1);
    // Bars stand on the axis: y + height is the baseline.
    for (const bar of bars) expect(bar.y + bar.height).toBeCloseTo(10 + plot, 1);
    // Minute 2 is right of minute 1; the error bar shares its minute's x.
    expect(bars[1]!.x).toBeGreaterThan(bars[0]!.x);
    expect(bars[2]!.x).toBe(bars[1]!.x);
    expect(svg).toContain('<title>20:02 · 10 calls, 3 errors</title>');
    expect(svg).toContain('>20:00</text>');
    expect(svg).toContain('>20:03</text>');
    expect(svg).toContain('aria-label="Upstream calls per minute: 14 calls, 3 errors in the last 4 minutes"');
  });

  it('says so when the window is empty', () => {
    const svg = upstreamChart(
      buckets([
        [0, 0],
        [0, 0],
      ]),
    ).value;
    expect(rects(svg)).toEqual([]);
    expect(svg).toContain('no upstream calls in this window');
    expect(svg).toContain('class="ymax">1</text>');
  });

  it('tops the y axis at 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 2, 3, 7, 10, 11, 49, 51, 999].map(niceCeiling)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 50, 100, 1000,
    ]);
  });
});
