import { createHmac } from 'node:crypto';
import Provider, {
  type Configuration,
  type Interaction,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Database } from '../db/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { clientAccounts, findAccount, SCOPE_CLAIMS } from './account-claims.js';
import {
  clientMetadata,
  type OidcClientConfig,
  type RuntimeClients,
  runtimeClientPayload,
  secretMatches,
} from './oidc-clients.js';
import { errorPage, loggedOutPage, logoutPage } from './oidc-pages.js';
import type { ProviderSecrets } from './provider-secrets.js';
import { providerJwks, SIGNING_ALGS, type SigningJwk } from './signing-keys.js';
import { storeAdapter } from './store-adapter.js';

/** The interaction pages live under the issuer's path: `{issuer}/interaction/:uid`. */
export const INTERACTION_PATH = '/interaction';

const DAY = 24 * 3600;
/** Lifetimes, s: short bearer tokens, refresh tokens and sessions for two weeks. */
const PROVIDER_TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  IdToken: 3600,
  Interaction: 600,
  RefreshToken: 14 * DAY,
  Session: 14 * DAY,
  Grant: 14 * DAY,
} as const;

/** Client authentication at /token and /token/revocation alike (oidc-provider checks both the same way). */
const CLIENT_AUTH_METHODS: NonNullable<Configuration['clientAuthMethods']> = [
  'client_secret_basic',
  'client_secret_post',
  'none',
];

export interface ProviderOptions {
  /** `{publicUrl}/oidc`. */
  readonly issuer: string;
  readonly store: Store;
  readonly database: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly clients: readonly OidcClientConfig[];
  readonly runtimeClients: RuntimeClients;
  readonly keys: readonly SigningJwk[];
  readonly secrets: ProviderSecrets;
  /**
   * Where to send the browser instead of the interaction page, when that page would only redirect
   * there (WeChat's authorization); null: the page. Saves the browser a request per login.
   */
  readonly directLogin?: (ctx: KoaContextWithOIDC, interaction: Interaction) => Promise<string | null>;
}

/**
 * The login prompt is asked again when the session's user has never logged in on the client's
 * Official Account (or website app): a session made through another account cannot give this
 * client its `openid`; and for `prompt=select_account`.
 */
function loginPolicy(database: Database) {
  const policy = interactionPolicy.base();
  // The claims parameter is off, so ctx.oidc.claims stays {} and oidc-provider's checks of an
  // essential `acr` never prompt; they would throw and catch a TypeError on every authorization.
  const login = policy.get('login')!;
  for (const reason of ['essential_acrs', 'essential_acr'])
    if (login.checks.get(reason)) login.checks.remove(reason);
  login.checks.add(
    new interactionPolicy.Check(
      'wechat_account',
      "the session's user has not logged in on this client's WeChat account",
      // A check added after the prompt was built gets no default error: prompt=none must hear
      // login_required (OpenID Connect Core 3.1.2.6), as for the login prompt's own checks.
      'login_required',
      async (ctx) => {
        const accountId = ctx.oidc.session?.accountId;
        const accounts = clientAccounts(ctx);
        if (!accountId || !accounts) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const identities = await database.identities.listByUser(accountId);
        const known = identities.some((i) => i.appid === accounts.appid || i.appid === accounts.websiteAppid);
        return known ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
  // prompt=select_account (OpenID Connect Core 3.1.2.1), which relying parties set out of habit:
  // the account is whoever logs in at WeChat, so choosing one is logging in there again (a
  // desktop QR code may be scanned by someone else). Registered so the value is not refused;
  // the login prompt resolves it.
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check(
        'select_account',
        'the End-User is asked to choose the account',
        'account_selection_required',
        (ctx) =>
          ctx.oidc.prompts.has('select_account') && !ctx.oidc.result?.login
            ? interactionPolicy.Check.REQUEST_PROMPT
            : interactionPolicy.Check.NO_NEED_TO_PROMPT,
      ),
    );
  const selectAccount = new interactionPolicy.Prompt({ name: 'select_account', requestable: true });
  selectAccount.checks.clear();
  policy.add(selectAccount);
  return policy;
}

/**
 * Builds the `oidc-provider` instance: storage on the hub's Store, the fleet's signing and cookie
 * keys, the config's clients (and the runtime ones through the adapter), the authorization code
 * flow with PKCE (required for public clients, S256 only), refresh tokens under `offline_access`
 * (with `prompt=consent`, as OpenID Connect Core 11 says), userinfo, revocation, RP-initiated
 * logout, and no development interactions: logging in is `interactionRoutes`.
 */
export function createProvider(options: ProviderOptions): Provider {
  const { issuer, database, secrets } = options;
  const issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
  const configuration: Configuration = {
    adapter: storeAdapter(options.store, options.clock, async (id) => {
      const client = await options.runtimeClients.find(id);
      return client ? runtimeClientPayload(client) : undefined;
    }),
    clients: options.clients.map(clientMetadata),
    jwks: providerJwks(options.keys),
    // Signed, HttpOnly, Lax: every hop to the provider is a top-level navigation, no iframe needs
    // the session (so the default SameSite=None of its session cookie buys nothing).
    cookies: {
      keys: secrets.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    findAccount: findAccount(database),
    claims: { openid: [...SCOPE_CLAIMS.openid], profile: [...SCOPE_CLAIMS.profile] },
    scopes: ['openid', 'profile', 'offline_access'],
    responseTypes: ['code'],
    subjectTypes: ['public', 'pairwise'],
    // Profile claims go in the ID token too: many relying parties read only the ID token.
    conformIdTokenClaims: false,
    extraClientMetadata: { properties: ['appid', 'website_appid'] },
    // RS256 stays every client's default; ES256 for a client that asks (a cheaper signature).
    enabledJWA: { idTokenSigningAlgValues: [...SIGNING_ALGS] },
    clientAuthMethods: CLIENT_AUTH_METHODS,
    // RFC 8414 2: absent, this would mean client_secret_basic alone, and a public client would
    // read that it cannot revoke its refresh token. Revocation takes what /token takes.
    discovery: { revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS },
    // RFC 9700 2.1.1: a public client must use PKCE; a confidential one should, but many relying
    // parties (Spring Security, mod_auth_openidc, Keycloak's broker by default) send only a nonce
    // and authenticate at /token. oidc-provider 8 requires it of every client unless told.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = loggedOutPage();
        },
      },
    },
    ttl: PROVIDER_TTL,
    interactions: {
      // The interaction cookie's path is taken from this URL, so it stays the page's: a direct
      // redirect replaces the Location once the response is ready (below).
      async url(ctx, interaction) {
        const direct = await options.directLogin?.(ctx, interaction).catch((err: unknown) => {
          options.logger.warn(
            { err: err instanceof Error ? err.message : 'error' },
            'oidc direct login failed',
          );
          return null;
        });
        if (direct) directRedirects.set(ctx, direct);
        return `${issuerPath}${INTERACTION_PATH}/${interaction.uid}`;
      },
      policy: loginPolicy(database),
    },
    pairwiseIdentifier: async (_ctx, accountId, client) =>
      createHmac('sha256', secrets.pairwiseSalt)
        .update(`${client.sectorIdentifier ?? client.clientId}\u0000${accountId}`)
        .digest('base64url'),
    clientBasedCORS: (ctx, origin, client) =>
      origin !== 'null' &&
      (ctx.oidc.route === 'userinfo' || client.clientAuthMethod === 'none') &&
      (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
  };
  const directRedirects = new WeakMap<KoaContextWithOIDC, string>();
  const provider = new Provider(issuer, configuration);
  provider.use(async (ctx, next) => {
    await next();
    if (isMissingBearer(ctx as KoaContextWithOIDC)) {
      // RFC 6750 3.1: a request without any token is answered 401 (oidc-provider says 400) with
      // a bare `WWW-Authenticate: Bearer realm=…`, so a client knows to authenticate.
      ctx.status = 401;
    }
    const direct = directRedirects.get(ctx as KoaContextWithOIDC);
    if (direct && ctx.status === 303) {
      ctx.redirect(direct);
      // Every hop to WeChat is a 302, as from the interaction page.
      ctx.status = 302;
    }
  });
  // Every request reaches it with X-Forwarded-Host/-Proto set to the issuer's (oidc-routes.ts).
  provider.proxy = true;
  // Runtime clients keep only a hash of their secret.
  const clientPrototype = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): boolean;
  };
  clientPrototype.compareClientSecret = function compare(actual: string) {
    return (
      typeof this.clientSecret === 'string' &&
      typeof actual === 'string' &&
      secretMatches(this.clientSecret, actual)
    );
  };
  const log = options.logger;
  provider.on('server_error', (_ctx, err: Error) => log.error({ err: err.message }, 'oidc server error'));
  return provider;
}

/**
 * A userinfo request that carried no access token at all (not a bad one): oidc-provider then
 * names the scheme and realm alone, without `error=` (its body may be JSON or an HTML page).
 */
function isMissingBearer(ctx: KoaContextWithOIDC): boolean {
  return (
    ctx.oidc?.route === 'userinfo' &&
    ctx.status === 400 &&
    /^Bearer realm="[^"]*"$/.test(ctx.response.get('WWW-Authenticate'))
  );
}
