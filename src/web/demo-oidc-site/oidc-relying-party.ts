import * as oidc from 'openid-client';

/**
 * A relying party as any site would write one with `openid-client` (panva): discovery of the
 * hub's issuer, the authorization code flow with PKCE (S256), state and nonce, ID token
 * validation and userinfo. Nothing in it knows about WeChat: that is the point of the provider.
 */

export interface RelyingPartyOptions {
  /** The hub's issuer, `{publicUrl}/oidc`. */
  readonly issuer: string;
  readonly clientId: string;
  /** Absent: a public client (PKCE only). */
  readonly clientSecret?: string;
  readonly redirectUri: string;
  /** Default `openid profile`. */
  readonly scope?: string;
}

/** What the browser carries between the start and the callback (in a signed cookie). */
export interface PendingLogin {
  readonly state: string;
  readonly verifier: string;
  readonly nonce: string;
}

/** A completed login: the validated ID token's claims and the userinfo answer. */
export interface RelyingPartyLogin {
  readonly idToken: Readonly<Record<string, unknown>>;
  readonly userinfo: Readonly<Record<string, unknown>>;
}

export class OidcRelyingParty {
  readonly #options: RelyingPartyOptions;
  #config: Promise<oidc.Configuration> | undefined;

  constructor(options: RelyingPartyOptions) {
    this.#options = options;
  }

  /** The provider's metadata, discovered once (again after a failure). */
  #configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const { issuer, clientId, clientSecret } = this.#options;
      const url = new URL(issuer);
      this.#config = oidc
        .discovery(
          url,
          clientId,
          clientSecret ? { client_secret: clientSecret } : {},
          clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(),
          // A local demo's issuer is plain http on loopback; a real site's is https.
          url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((err: unknown) => {
          this.#config = undefined;
          throw err;
        });
    }
    return this.#config;
  }

  /** The authorization URL to send the browser to, and what the callback will check. */
  async start(): Promise<{ url: string; pending: PendingLogin }> {
    const config = await this.#configuration();
    const pending: PendingLogin = {
      state: oidc.randomState(),
      verifier: oidc.randomPKCECodeVerifier(),
      nonce: oidc.randomNonce(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.#options.redirectUri,
      scope: this.#options.scope ?? 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /**
   * Finishes at the callback: checks state, trades the code with the PKCE verifier, validates the
   * ID token (issuer, audience, signature, nonce) and fetches userinfo for its `sub`. Rejects with
   * openid-client's errors (an `error=access_denied` callback is an `AuthorizationResponseError`).
   */
  async finish(callbackUrl: URL, pending: PendingLogin): Promise<RelyingPartyLogin> {
    const config = await this.#configuration();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
    return { idToken: { ...idToken }, userinfo: { ...userinfo } };
  }
}
