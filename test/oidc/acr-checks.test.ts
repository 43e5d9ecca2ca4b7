import type { KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy } from 'oidc-provider';
import { describe, expect, it, vi } from 'vitest';
import { skipAcrChecksWithoutAcr } from '../../src/oidc/acr-checks.js';

const ctx = (claims: unknown, acr?: string) => ({ oidc: { claims, acr } }) as unknown as KoaContextWithOIDC;

describe('skipAcrChecksWithoutAcr', () => {
  it('answers "no need to prompt" without running the ACR checks when no acr is asked for', async () => {
    const checked = vi.fn(() => interactionPolicy.Check.REQUEST_PROMPT);
    const login = new interactionPolicy.Prompt(
      { name: 'login' },
      new interactionPolicy.Check('essential_acr', 'acr', checked),
      new interactionPolicy.Check('essential_acrs', 'acrs', checked),
    );
    skipAcrChecksWithoutAcr(login);
    for (const check of login.checks) {
      expect(await check.check(ctx({}))).toBe(false);
      expect(await check.check(ctx({ id_token: { sub: { value: 'x' } } }))).toBe(false);
    }
    expect(checked).not.toHaveBeenCalled();
    expect(
      await login.checks.get('essential_acr')!.check(ctx({ id_token: { acr: { essential: true } } })),
    ).toBe(true);
    expect(checked).toHaveBeenCalledOnce();
  });

  it("keeps oidc-provider's answers when an acr is asked for", async () => {
    const login = interactionPolicy.base().get('login')!;
    skipAcrChecksWithoutAcr(login);
    const single = login.checks.get('essential_acr')!;
    const list = login.checks.get('essential_acrs')!;
    const asked = { id_token: { acr: { essential: true, value: 'urn:wxhub:wechat' } } };
    expect(await single.check(ctx(asked, 'urn:other'))).toBe(true);
    expect(await single.check(ctx(asked, 'urn:wxhub:wechat'))).toBe(false);
    const askedList = { id_token: { acr: { essential: true, values: ['a', 'b'] } } };
    expect(await list.check(ctx(askedList, 'c'))).toBe(true);
    expect(await list.check(ctx(askedList, 'b'))).toBe(false);
    expect(await single.check(ctx(undefined))).toBe(false);
  });
});
