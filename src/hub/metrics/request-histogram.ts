import type { Metric, Registry } from 'prom-client';

type Labels = { readonly route: string; readonly method: string; readonly status: string };

export interface Series {
  readonly labels: Labels;
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  count: number;
  sum: number;
}

interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * `wxhub_http_request_duration_seconds`, kept by hand. prom-client's `Histogram#observe` builds a
 * closure and validates and hashes the label set on every call, about 2 µs, on a token route
 * whose whole answer costs about ten (docs/benchmarks.md). Here an observation is a map lookup and
 * three increments; prom-client's Registry still renders it, through the metric contract it reads
 * (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`), in the same format as its own
 * histograms.
 */
export class RequestHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  observe(route: string, method: string, status: number, seconds: number): void {
    this.observeSeries(this.series(route, method, status), seconds);
  }

  /** One label set's series, to observe into without finding it again each time. */
  series(route: string, method: string, status: number): Series {
    const id = `${status} ${method} ${route}`;
    let series = this.#series.get(id);
    if (!series) {
      const labels = { route, method, status: String(status) };
      series = { labels, counts: new Float64Array(this.bounds.length + 1), count: 0, sum: 0 };
      this.#series.set(id, series);
    }
    return series;
  }

  observeSeries(series: Series, seconds: number): void {
    let slot = 0;
    while (slot < this.bounds.length && seconds > this.bounds[slot]!) slot++;
    series.counts[slot]!++;
    series.count++;
    series.sum += seconds;
  }

  async get() {
    const values: Sample[] = [];
    for (const { labels, counts, count, sum } of this.#series.values()) {
      if (count === 0) continue; // a series asked for but not yet observed, or reset
      let cumulative = 0;
      this.bounds.forEach((le, slot) => {
        cumulative += counts[slot]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.count = 0;
      series.sum = 0;
    }
  }
}
