import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestHistogram } from '../../src/hub/metrics/request-histogram.js';

const BOUNDS = [0.001, 0.01, 1];
const OBSERVATIONS = [
  ['/a', 'GET', 200, 0.0005],
  ['/a', 'GET', 200, 0.001], // on a bound: counted in it, as Prometheus' `le` says
  ['/a', 'GET', 200, 0.5],
  ['/b', 'POST', 401, 3],
  ['/a', 'GET', 500, 0.02],
] as const;

describe('RequestHistogram', () => {
  it("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const reference = new Registry();
    const ours = new Registry();
    const histogram = new Histogram({
      name: 'req_seconds',
      help: 'requests',
      labelNames: ['route', 'method', 'status'],
      buckets: BOUNDS,
      registers: [reference],
    });
    const lean = new RequestHistogram('req_seconds', 'requests', BOUNDS, ours);
    for (const [route, method, status, seconds] of OBSERVATIONS) {
      histogram.observe({ route, method, status: String(status) }, seconds);
      lean.observe(route, method, status, seconds);
    }
    const text = await ours.metrics();
    expect(text).toBe(await reference.metrics());
    expect(text).toContain('req_seconds_bucket{le="0.001",route="/a",method="GET",status="200"} 2');
    expect(text).toContain('req_seconds_count{route="/b",method="POST",status="401"} 1');
  });

  it('starts over on reset', async () => {
    const registry = new Registry();
    const lean = new RequestHistogram('req_seconds', 'requests', BOUNDS, registry);
    lean.observe('/a', 'GET', 200, 0.1);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('req_seconds_count');
  });
});
