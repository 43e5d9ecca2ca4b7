import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, type ErrorCode } from '../errors/index.js';

/**
 * The pages a person sees when a login cannot go on: small, bilingual, no script, never a stack
 * trace. A caller that asks for JSON (`Accept: application/json`) gets the `/v1` error body
 * instead. Either way the `X-Wxhub-Error` header carries the registry code.
 */

export interface LoginProblem {
  readonly code: ErrorCode;
  /** What went wrong, in Chinese and in English. */
  readonly zh: string;
  readonly en: string;
  /** Why, for the person and the JSON body (no secrets). */
  readonly detail?: string;
  /** A link that starts the login over. */
  readonly restartUrl?: string;
  /** Overrides the registry's status. */
  readonly status?: number;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function wantsJson(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Answers `problem` as an HTML page (or JSON for JSON callers). */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: LoginProblem,
): FastifyReply {
  const status = problem.status ?? ERRORS[problem.code].status;
  reply.code(status).header('cache-control', 'no-store').header('x-wxhub-error', problem.code);
  if (wantsJson(request)) {
    const message = problem.detail
      ? `${ERRORS[problem.code].message}: ${problem.detail}`
      : ERRORS[problem.code].message;
    return reply.type('application/json; charset=utf-8').send({ error: { code: problem.code, message } });
  }
  return reply.type('text/html; charset=utf-8').send(problemPage(problem));
}

/** The HTML of a problem page. */
export function problemPage(problem: LoginProblem): string {
  const restart = problem.restartUrl
    ? `<p><a class="button" href="${escapeHtml(problem.restartUrl)}">重新登录 / Log in again</a></p>`
    : '';
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(problem.zh)} / ${escapeHtml(problem.en)}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}p.en{color:#555}code{color:#888;font-size:.85rem}
a.button{display:inline-block;padding:.6rem 1.2rem;background:#07c160;color:#fff;border-radius:4px;text-decoration:none}
</style>
</head>
<body>
<h1>${escapeHtml(problem.zh)}</h1>
<p class="en">${escapeHtml(problem.en)}</p>
${problem.detail ? `<p class="detail">${escapeHtml(problem.detail)}</p>` : ''}
${restart}
<p><code id="code">${problem.code}</code></p>
</body>
</html>
`;
}
