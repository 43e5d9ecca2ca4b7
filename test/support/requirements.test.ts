import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { findBinary, requireBinary } from './binaries.js';
import { isCI, missing } from './ci.js';

describe('isCI: the one rule for "is this CI"', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['TRUE', true],
    ['yes', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['', false],
    [' ', false],
    [undefined, false],
  ])('CI=%j is %s', (value, expected) => {
    expect(isCI(value === undefined ? {} : { CI: value })).toBe(expected);
  });
});

describe('a missing program or service', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails loudly under CI, naming it and how to get it', () => {
    vi.stubEnv('CI', 'true');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(() => missing('the php binary', 'apt-get install php-cli')).toThrow(
      'CI=true but the php binary is missing: apt-get install php-cli (.ci/run installs it)',
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('elsewhere warns loudly and returns undefined, so the file skips', () => {
    vi.stubEnv('CI', 'false');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(missing('the php binary', 'apt-get install php-cli')).toBeUndefined();
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]![0])).toContain('SKIPPING the tests that need the php binary');
  });
});

describe('findBinary and requireBinary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxhub-bin-'));
  const tool = join(dir, 'bin', 'wxhub-test-tool');
  const plain = join(dir, 'bin', 'wxhub-test-plain');
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'bin', 'wxhub-test-dir'));
  writeFileSync(tool, '#!/bin/sh\n');
  chmodSync(tool, 0o755);
  writeFileSync(plain, 'not executable\n');
  chmodSync(plain, 0o644);
  const path = ['/nonexistent', join(dir, 'bin')].join(delimiter);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it('finds a command on PATH like a shell, the first directory that has it', () => {
    expect(findBinary('wxhub-test-tool', path)).toBe(tool);
    expect(findBinary('node', dirname(process.execPath))).toBe(process.execPath);
    expect(findBinary('wxhub-test-tool', `${join(dir, 'bin')}${delimiter}/nonexistent`)).toBe(tool);
  });

  it('takes an absolute path as it is', () => {
    expect(findBinary(tool, '')).toBe(tool);
    expect(findBinary(join(dir, 'nope'), path)).toBeUndefined();
  });

  it('refuses what is absent, not executable, or a directory', () => {
    expect(findBinary('wxhub-test-absent', path)).toBeUndefined();
    expect(findBinary('wxhub-test-plain', path)).toBeUndefined();
    expect(findBinary('wxhub-test-dir', path)).toBeUndefined();
  });

  it('requireBinary answers the path, or fails under CI naming the Debian package', () => {
    vi.stubEnv('PATH', path);
    vi.stubEnv('CI', 'true');
    expect(requireBinary('wxhub-test-tool', 'wxhub-tools')).toBe(tool);
    expect(() => requireBinary('wxhub-test-absent', 'wxhub-tools')).toThrow(
      'CI=true but the wxhub-test-absent binary is missing: apt-get install wxhub-tools',
    );
  });
});
