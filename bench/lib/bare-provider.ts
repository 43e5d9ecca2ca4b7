import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { announceAndWait } from './child-server.js';

/**
 * Child mode: oidc-provider alone on node:http, as its own documentation sets it up: the default
 * in-memory adapter, one public client, a signing key, and an interaction that logs in the
 * `login_hint` at once (no page, no WeChat, no database), signing ID tokens as the hub's client
 * is told to (`--alg`). Serves at `port`; its issuer is
 * `http://127.0.0.1:port`. What one OpenID Connect login costs with nothing around the library:
 * the floor under any provider built on it (bench/oidc.ts's third flow).
 */
export async function serveBareProvider(
  port: number,
  client: { clientId: string; redirectUri: string; alg: 'RS256' | 'ES256' },
) {
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } =
    client.alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        redirect_uris: [client.redirectUri],
        token_endpoint_auth_method: 'none',
        response_types: ['code'],
        grant_types: ['authorization_code'],
        id_token_signed_response_alg: client.alg,
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bare', alg: client.alg, use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub', 'openid'], profile: ['nickname'] },
    conformIdTokenClaims: false,
    findAccount: (_ctx, accountId) => ({
      accountId,
      claims: () => ({ sub: accountId, openid: accountId, nickname: accountId.slice(-6) }),
    }),
    features: { devInteractions: { enabled: false }, userinfo: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  const callback = provider.callback();
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    void (async () => {
      const { params } = await provider.interactionDetails(req, res);
      const accountId = String(params.login_hint);
      const grant = new provider.Grant({ accountId, clientId: String(params.client_id) });
      grant.addOIDCScope(String(params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } });
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  announceAndWait(issuer, () => new Promise((resolve) => server.close(resolve)));
}
