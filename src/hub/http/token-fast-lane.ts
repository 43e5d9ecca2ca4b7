import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CredentialRecord } from '../../store/store.js';
import type { HubServices } from '../hub-services.js';
import { secondsLeft, tokenBody } from './credential-body.js';
import { keyRefusal } from './key-gate.js';
import type { RequestLog } from './request-hooks.js';
import { bearerToken } from './v1-auth.js';

/** The Fastify route the lane stands in for; metrics name it the same either way. */
export const TOKEN_ROUTE = '/v1/accounts/:appid/access-token';
const PREFIX = '/v1/accounts/';
const SUFFIX = '/access-token';
const APPID = /^[A-Za-z0-9_-]{1,64}$/;
const CONTENT_TYPE = 'application/json; charset=utf-8';

/** A serialized answer, good while its token and its whole seconds left are the same. */
interface Answer {
  readonly record: CredentialRecord;
  readonly expiresIn: number;
  readonly body: string;
  readonly headers: OutgoingHttpHeaders;
}

/** Answers a request and returns true, or returns false having touched nothing. */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The hub's hottest request, `GET /v1/accounts/:appid/access-token`, answered before Fastify
 * when every check can be made at once from memory: a client key already verified (cached) that
 * the shared key gate (key-gate.ts) lets through for the token scope and this appid, a warm
 * token, room in the key's rate limit. Fastify's request and reply objects, hooks and router cost
 * three times what that answer does (docs/benchmarks.md), and this is the request every caller
 * of every service makes.
 *
 * The lane only ever says yes. Anything it cannot settle from memory (no key, a key not cached
 * yet, a refusal, a cold or due token, a rate limit reached, a query string, a closing hub) goes
 * to the Fastify route, which answers it and its errors exactly as it always has; so the lane
 * adds no way to be refused, and the answers are the same bytes (credential-body.ts).
 */
export function tokenFastLane(hub: HubServices, requests: RequestLog, closing: () => boolean): FastLane {
  const { keys, manager, limiter, clock } = hub;
  const answers = new Map<string, Answer>();
  const record200 = requests.recorder(TOKEN_ROUTE, 'GET', 200);
  return (req, res) => {
    const started = performance.now();
    const url = req.url;
    if (req.method !== 'GET' || !url?.startsWith(PREFIX) || !url.endsWith(SUFFIX) || closing()) return false;
    const appid = url.slice(PREFIX.length, url.length - SUFFIX.length);
    if (!APPID.test(appid)) return false;
    const presented = bearerToken(req.headers.authorization);
    const key = presented ? keys.verifyCached(presented) : null;
    if (!key || keyRefusal(hub, key, 'token', appid)) return false;
    const record = manager.peekAccessToken(appid);
    // Last, as the only step with an effect (a refusal takes nothing; the route then asks again).
    if (!record || !limiter.take(`key:${key.id}`, key.rateLimit).ok) return false;
    const answer = answerFor(answers, appid, record, clock.now());
    res.writeHead(200, answer.headers);
    res.end(answer.body);
    record200((performance.now() - started) / 1000);
    return true;
  };
}

/** The answer for `record` at `now`, serialized once per token per second (one per account). */
function answerFor(
  answers: Map<string, Answer>,
  appid: string,
  record: CredentialRecord,
  now: number,
): Answer {
  const cached = answers.get(appid);
  const expiresIn = secondsLeft(record, now);
  if (cached?.record === record && cached.expiresIn === expiresIn) return cached;
  const body = JSON.stringify(tokenBody(record, now));
  const headers = { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) };
  const answer = { record, expiresIn, body, headers };
  answers.set(appid, answer);
  return answer;
}
