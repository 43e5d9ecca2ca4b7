import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import type { Logger } from '../../util/logger.js';
import { MAX_PUSH_BYTES } from '../xml/push-xml.js';
import type { CallbackQuery } from './callback-codec.js';
import type { CallbackRoutesOptions } from './callback-routes.js';
import { answerPush, type PushAnswer } from './push-answer.js';

/** The route the lane stands in for; metrics and access lines name it the same. */
export const CALLBACK_ROUTE = '/callback/:appid';
const PREFIX = '/callback/';
/** What Fastify's `:appid` would match: one path segment. Anything else goes to the router. */
const APPID = /^[A-Za-z0-9_-]{1,64}$/;

export interface CallbackLaneOptions extends CallbackRoutesOptions {
  /** True once the hub is shutting down: Fastify then answers 503. */
  readonly closing: () => boolean;
  readonly log: Pick<Logger, 'warn' | 'error'>;
  /** Told of each answer the lane wrote, for the hub's request metrics and access lines. */
  readonly onAnswered: (req: IncomingMessage, statusCode: number, ms: number) => void;
}

/**
 * WeChat's pushes, `POST /callback/:appid`, taken before Fastify: its request and reply objects,
 * per-request child logger, router, hooks and content-type parsing cost about as much as the
 * push's own work (signature, XML, the event log's append). The lane reads the body and answers
 * with the route's own answerPush(), so the answers are the same bytes. It takes only pushes
 * whose `content-length` is within the route's body limit and whose path is one segment; a
 * chunked or oversized body, another path or a closing hub go to the Fastify route, which
 * answers them (413, 404, 503) as it always has.
 */
export function callbackLane(
  options: CallbackLaneOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { receiver, log } = options;
  return (req, res) => {
    const url = req.url;
    if (req.method !== 'POST' || !url?.startsWith(PREFIX) || options.closing()) return false;
    const length = Number(req.headers['content-length']);
    if (
      !Number.isSafeInteger(length) ||
      length > MAX_PUSH_BYTES ||
      req.headers['transfer-encoding'] !== undefined
    )
      return false;
    const mark = url.indexOf('?');
    const appid = url.slice(PREFIX.length, mark === -1 ? undefined : mark);
    if (!APPID.test(appid)) return false;
    const started = performance.now();
    const query = (mark === -1 ? {} : parse(url.slice(mark + 1))) as CallbackQuery;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      answerPush(receiver, options, { appid, query, body, started }, log)
        .catch((err: unknown) => {
          log.error({ appid, err: String(err) }, 'push failed');
          return { status: 500, type: 'text/plain; charset=utf-8', body: 'WXHUB_ERR_INTERNAL\n' };
        })
        .then((answer) => write(req, res, answer, started, options));
    });
    return true;
  };
}

function write(
  req: IncomingMessage,
  res: ServerResponse,
  answer: PushAnswer,
  started: number,
  options: CallbackLaneOptions,
): void {
  if (!res.destroyed) {
    res.writeHead(answer.status, {
      'content-type': answer.type,
      'content-length': Buffer.byteLength(answer.body),
    });
    res.end(answer.body);
  }
  options.onAnswered(req, answer.status, performance.now() - started);
}
