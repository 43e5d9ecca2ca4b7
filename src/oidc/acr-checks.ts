import { interactionPolicy } from 'oidc-provider';

/** oidc-provider's login checks of an `acr` asked for in the `claims` parameter. */
const ACR_CHECKS = ['essential_acrs', 'essential_acr'] as const;

/**
 * Runs oidc-provider's ACR checks only when the request asks for an `acr` claim in its `claims`
 * parameter. They read `claims.id_token.acr` through a helper that throws and catches a TypeError
 * whenever the request has no `claims` parameter (nearly every request): a stack trace captured
 * twice per authorization and resume, for an answer known beforehand, "no need to prompt" (what
 * they answer for an absent `acr`). With an `acr` requested they run unchanged.
 */
export function skipAcrChecksWithoutAcr(login: interactionPolicy.Prompt): void {
  for (const reason of ACR_CHECKS) {
    const check = login.checks.get(reason);
    if (!check) continue;
    const original = check.check;
    check.check = (ctx) => {
      const claims = ctx.oidc.claims as { id_token?: { acr?: unknown } } | undefined;
      return claims?.id_token?.acr === undefined ? interactionPolicy.Check.NO_NEED_TO_PROMPT : original(ctx);
    };
  }
}
