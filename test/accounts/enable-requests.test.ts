import { describe, expect, it } from 'vitest';
import { newEnableRequests } from '../../src/accounts/enable-requests.js';
import { ENABLE_REQUESTS_SETTING, readEnableRequests, requestEnable } from '../../src/accounts/index.js';
import { MemoryDatabase } from '../../src/db/index.js';

describe('enable requests', () => {
  it('counts every request, concurrent ones included, per appid', async () => {
    const { settings } = new MemoryDatabase();
    expect(await readEnableRequests(settings)).toEqual({});
    await Promise.all(Array.from({ length: 10 }, () => requestEnable(settings, 'wx00000000000000a1')));
    await requestEnable(settings, 'wx00000000000000b2');
    expect(await readEnableRequests(settings)).toEqual({ wx00000000000000a1: 10, wx00000000000000b2: 1 });
  });

  it('tells the appids whose count grew since those seen', () => {
    expect(newEnableRequests({ a: 1, b: 2 }, { a: 1, b: 3, c: 1 })).toEqual(['b', 'c']);
    expect(newEnableRequests({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('reads an unreadable setting as no requests, and writes over it', async () => {
    const { settings } = new MemoryDatabase();
    await settings.putIfAbsent(ENABLE_REQUESTS_SETTING, 'not json');
    expect(await readEnableRequests(settings)).toEqual({});
    expect(await requestEnable(settings, 'wx00000000000000a1')).toEqual({ wx00000000000000a1: 1 });
  });
});
