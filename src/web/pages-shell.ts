import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html } from './html/html.js';
import { bi, biText, page, STYLESHEET_PATH } from './html/layout.js';
import { STYLESHEET } from './html/stylesheet.js';
import { sendPage, wantsHtml } from './http/request-info.js';

const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  'img-src * data:',
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#07c160"/><ellipse cx="13" cy="14" rx="8" ry="6.5" fill="#fff"/><ellipse cx="20" cy="19" rx="6.5" ry="5.3" fill="#e8fff1"/></svg>`;

/** A bilingual error page with one way back, to `home`. */
export function errorPage(status: number, zh: string, en: string, home: string): string {
  return page({
    title: biText(zh, en),
    brand: html`wxhub`,
    brandHref: home,
    narrow: true,
    body: html`<h1>${bi(zh, en)}</h1><p class="muted">HTTP ${status}</p><p><a class="btn primary" href="${home}">${bi('返回首页', 'Back to home')}</a></p>`,
  });
}

/**
 * What every set of pages needs, in the plugin context it is called in: HTML form bodies, the
 * security headers (a strict Content-Security-Policy on every page: no script, styles only from
 * the one stylesheet), an error handler that answers a page to browsers and JSON to API clients
 * (never the error's own text for a 500) with a way back to `home`, and the stylesheet and
 * favicon routes.
 */
export function pagesShell(app: FastifyInstance, home: string): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
    }
    return payload;
  });

  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err: err.message, url: request.routeOptions.url }, 'page failed');
    if (!wantsHtml(request)) {
      return reply.code(status).send({
        error: {
          code: status === 500 ? 'WXHUB_ERR_INTERNAL' : 'WXHUB_ERR_INVALID_ARGUMENT',
          message: status === 500 ? 'internal error' : err.message,
        },
      });
    }
    return sendPage(reply, status, errorPage(status, '出错了', 'Something went wrong', home));
  });

  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(STYLESHEET),
  );
  app.get('/favicon.ico', async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON),
  );
}
