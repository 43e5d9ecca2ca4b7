import { afterEach, describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { captureLogs } from '../support/log-capture.js';
import { closeAll, virtualManager } from './support/virtual-manager.js';

// Accounts added and removed while the engine runs (the hub's runtime account changes).

const A = 'wxaccounta0000001';
const B = 'wxaccountb0000001';
const accounts = [
  { appid: A, secret: 'secret-a', tokenMode: 'classic' as const },
  { appid: B, secret: 'secret-b', tokenMode: 'classic' as const },
];

afterEach(closeAll);

function captureThrow(call: () => unknown): unknown {
  try {
    call();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('TokenManager accounts at run time', () => {
  it('forgets a removed account: unknown to every method, and false when removed twice', async () => {
    const { m } = virtualManager({ accounts });
    await m.getAccessToken(A);
    expect(m.removeAccount(A)).toBe(true);
    expect(m.appids()).toEqual([B]);
    expect(m.hasAccount(A)).toBe(false);
    expect(m.peekAccessToken(A)).toBeUndefined();
    for (const call of [
      () => m.getAccessToken(A),
      () => m.getTicket(A),
      () => m.refreshAccessToken(A, 'x'),
    ]) {
      expect(isWxhubError(await call().catch((e) => e), 'WXHUB_ERR_UNKNOWN_ACCOUNT')).toBe(true);
    }
    expect(
      isWxhubError(
        captureThrow(() => m.status(A)),
        'WXHUB_ERR_UNKNOWN_ACCOUNT',
      ),
    ).toBe(true);
    expect(m.removeAccount(A)).toBe(false);
    expect(m.removeAccount('wxneveradded00001')).toBe(false);
  });

  it('fetches nothing more for it: no first fetch, no proactive refresh, not a word in the log', async () => {
    const logs = captureLogs();
    const { clock, wechat, m } = virtualManager({ accounts, options: { logger: logs.logger } });
    m.removeAccount(B); // before the first pass
    await m.tick();
    expect(wechat.tokenCallsByAppid.get(B)).toBeUndefined();
    expect(logs.lines.filter((l) => l.includes(B))).toEqual([]);
    const a = await m.getAccessToken(A);
    m.removeAccount(A);
    clock.set(a.expiresAt - 500_000); // past A's refresh point
    await m.tick();
    expect(wechat.tokenCallsByAppid.get(A)).toBe(1);
  });

  it('keeps nothing of a refresh that finishes after the removal; added again, it reads the store', async () => {
    const { wechat, m } = virtualManager({ accounts });
    const inFlight = m.getAccessToken(A);
    m.removeAccount(A);
    const token = await inFlight; // the caller still gets its answer
    m.addAccount(accounts[0]!);
    expect(m.status(A).token).toBeNull();
    expect((await m.getAccessToken(A)).value).toBe(token.value); // from the store: no second fetch
    expect(wechat.tokenCallsByAppid.get(A)).toBe(1);
  });

  it('drops a removed account’s cool-down and last error: added again, it refreshes at once', async () => {
    const { wechat, m } = virtualManager({ accounts });
    wechat.answerNext({ errcode: 40125, errmsg: 'invalid appsecret' });
    await m.getAccessToken(A).catch(() => undefined);
    expect(m.status(A).disabledUntil).not.toBeNull();
    m.removeAccount(A);
    m.addAccount(accounts[0]!);
    expect(m.status(A)).toMatchObject({ disabledUntil: null, lastError: null });
    await m.getAccessToken(A);
    expect(wechat.tokenCallsByAppid.get(A)).toBe(2);
  });

  it('warms an account added at run time in the next pass', async () => {
    const { wechat, m } = virtualManager({ accounts: [accounts[0]!] });
    await m.tick();
    m.addAccount(accounts[1]!);
    expect(m.status(B).token).toBeNull();
    await m.tick();
    expect(wechat.tokenCallsByAppid.get(B)).toBe(1);
    expect(m.peekAccessToken(B)).toBeDefined();
  });
});
