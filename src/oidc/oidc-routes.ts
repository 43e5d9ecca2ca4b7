import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { type LoginLimiter, refuseLoginFlood } from '../oauth/login-limit.js';
import { interactionRoutes } from './interaction-routes.js';
import type { OidcService } from './oidc-service.js';

/** Where the hub serves the provider; the issuer is `{publicUrl}` + this. */
export const OIDC_PREFIX = '/oidc';

/**
 * Makes a request look to oidc-provider as if it came to the issuer: the path without the hub's
 * prefix (`originalUrl` keeps the issuer's, from which it derives its mount path), and the
 * issuer's host and scheme, so every URL it builds (discovery, redirects, cookie flags) is the
 * issuer's whatever Host the request came with.
 */
export function asIssuer(req: IncomingMessage, issuer: URL): void {
  const raw = req as IncomingMessage & { originalUrl?: string };
  const url = raw.url ?? '/';
  const rest = url.startsWith(OIDC_PREFIX) ? url.slice(OIDC_PREFIX.length) : url;
  const issuerPath = issuer.pathname.replace(/\/+$/, '');
  raw.originalUrl = `${issuerPath}${rest || '/'}`;
  raw.url = rest.startsWith('/') ? rest : `/${rest}`;
  req.headers['x-forwarded-host'] = issuer.host;
  req.headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
}

/** What the provider's routes take from the hub. */
export interface OidcRoutesOptions {
  readonly oidc: OidcService;
  /** Takes one login start from a client address's bucket, under `oauth.loginRateLimit`. */
  readonly limiter: LoginLimiter;
}

/** The authorization endpoint itself (not its `/auth/:uid` resume): each call starts a login. */
const AUTHORIZATION = /^\/oidc\/auth(\?|$)/;

/**
 * The OpenID Connect provider in the hub's Fastify app: every `/oidc/*` request the login pages
 * do not answer goes to oidc-provider as is (its own body parsing, errors and answers), outside
 * the client-key gate (the protocol authenticates its clients itself). See docs/oidc.md.
 */
export const oidcRoutes: FastifyPluginAsync<OidcRoutesOptions> = async (app, { oidc, limiter }) => {
  const issuer = new URL(oidc.issuer);
  // oidc-provider reads the bodies itself (forms and JSON): Fastify must leave the stream alone.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const handlers = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    if (AUTHORIZATION.test(request.url)) {
      // Each start keeps an interaction in the store: bounded per client address, as web logins are.
      const refused = refuseLoginFlood(limiter, oidc.login.oauth.loginRateLimit, request, reply);
      if (refused) return refused;
    }
    const provider = oidc.provider();
    let callback = handlers.get(provider);
    if (!callback) {
      callback = provider.callback();
      handlers.set(provider, callback);
    }
    reply.hijack();
    asIssuer(request.raw, issuer);
    await callback(request.raw, reply.raw);
  };
  const methods = ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'];
  // RFC 8414 3.1 (and its OpenID form): metadata at the host's root, the issuer's path appended,
  // for clients that discover an OAuth server rather than an OpenID provider.
  const issuerPath = issuer.pathname.replace(/\/+$/, '');
  for (const wellKnown of ['oauth-authorization-server', 'openid-configuration']) {
    app.get(`/.well-known/${wellKnown}${issuerPath}`, (request, reply) => {
      request.raw.url = `${OIDC_PREFIX}/.well-known/openid-configuration`;
      return handle(request, reply);
    });
  }
  app.route({ method: methods, url: OIDC_PREFIX, handler: handle });
  app.route({ method: methods, url: `${OIDC_PREFIX}/*`, handler: handle });
  await app.register(interactionRoutes, { oidc });
};
