import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

/**
 * There is no Docker engine where the tests run, so the Dockerfile and the compose example are
 * checked for the mistakes that would stop them: the example configuration must be valid, and
 * every file they name must exist.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('Docker and compose files', () => {
  it('deploy/wxhub.config.json is a valid fleet configuration once its env: values are set', () => {
    const config = parseConfig(JSON.parse(read('deploy/wxhub.config.json')), {
      WX_SECRET: 'secret',
      WXHUB_STORE_URL: 'redis://redis:6379/0',
      WXHUB_DATABASE_URL: 'postgres://wxhub:pw@postgres:5432/wxhub',
    });
    expect(config.store).toMatch(/^redis:/);
    expect(config.database).toMatch(/^postgres:/);
    expect(config.listen.host).toBe('0.0.0.0');
    expect(config.trustProxy).toBe(true);
    // Every env: name the configuration reads is provided by compose or the env example.
    const names = [...read('deploy/wxhub.config.json').matchAll(/"env:([A-Z0-9_]+)"/g)].map((m) => m[1]);
    const provided = `${read('deploy/compose.yaml')}\n${read('deploy/env.example')}`;
    for (const name of names) expect(provided, name).toMatch(new RegExp(`^\\s*${name}[:=]`, 'm'));
  });

  it('the Dockerfile builds from package-lock with npm ci, runs as a non-root user, checks /healthz', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim AS build$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/wxhub\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["serve",/m);
    for (const copied of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const path of copied[1]!.split(' ')) expect(existsSync(join(ROOT, path)), path).toBe(true);
    }
    expect(read('bin/wxhub.js')).toContain('../dist/cli/main.js');
    const ignored = read('.dockerignore').split('\n');
    for (const path of ['node_modules', 'dist', '.env', 'wxhub.config.json']) expect(ignored).toContain(path);
    for (const needed of ['src', 'bin', 'package.json', 'package-lock.json'])
      expect(ignored).not.toContain(needed);
  });

  it('compose runs three hubs on one Redis and one PostgreSQL, with files that exist', () => {
    const compose = read('deploy/compose.yaml');
    for (const service of ['hub1', 'hub2', 'hub3', 'redis', 'postgres']) {
      expect(compose).toMatch(new RegExp(`^  ${service}:`, 'm'));
    }
    for (const mounted of compose.matchAll(/- \.\/([\w.-]+):/g)) {
      expect(existsSync(join(ROOT, 'deploy', mounted[1]!)), mounted[1]).toBe(true);
    }
    expect(compose).toMatch(/context: \.\.\n\s+dockerfile: Dockerfile/);
    expect(compose).toContain('redis://redis:6379/0');
    expect(compose).toContain('@postgres:5432/wxhub');
  });
});
