import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, testHub } from './support/hub-fixture.js';

const saved = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));

describe('OpenAPI document', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await testHub();
  });
  afterAll(() => t.close());

  it('GET /openapi.json serves exactly docs/openapi.json (regenerate the file when the API changes)', async () => {
    const res = await t.hub.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(saved);
    expect(res.json().openapi).toBe('3.1.0');
  });

  it('describes every route the hub registers, and nothing it does not', () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(saved.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const registered = new Set(
      t.hub.routes
        .filter((r) => !r.startsWith('HEAD '))
        .map((r) => r.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{path}')),
    );
    expect([...registered].filter((r) => r.includes(' /v1/')).length).toBe(7);
    for (const route of registered) expect(documented, route).toContain(route);
    for (const route of documented) expect(registered, route).toContain(route);
  });
});
