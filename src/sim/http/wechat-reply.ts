import type { FastifyReply } from 'fastify';
import { errmsgFor } from '../../wechat/errcodes.js';
import { newRid } from '../ids.js';
import type { SimState } from '../state/sim-state.js';

/** The Content-Type WeChat's API host answers with. */
export const WECHAT_JSON = 'application/json; encoding=utf-8';

/** Fastify appends `; charset=utf-8` to JSON types unless a reply serializer is set. */
function serialize(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}

/** Sends a WeChat JSON body (an object, or an already serialized string). */
export function replyJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  if (status !== 200) reply.code(status);
  return reply.header('content-type', WECHAT_JSON).serializer(serialize).send(body);
}

/** `{"errcode":N,"errmsg":"<message> rid: xxxxxxxx-xxxxxxxx-xxxxxxxx"}` as a JSON string. */
export function errorBody(errcode: number, errmsg: string = errmsgFor(errcode)): string {
  return JSON.stringify({ errcode, errmsg: `${errmsg} rid: ${newRid()}` });
}

export interface ErrorOptions {
  /** HTTP status; WeChat answers errors with 200. */
  readonly status?: number;
  /** A message other than the table's (e.g. 40164 names the caller's IP). */
  readonly errmsg?: string;
  /** Count it in `/__sim/stats` errors (false for paths that are not WeChat's). */
  readonly record?: boolean;
}

/** Answers a WeChat error and counts it in the stats. */
export function replyError(
  sim: SimState,
  reply: FastifyReply,
  errcode: number,
  options: ErrorOptions = {},
): FastifyReply {
  if (options.record !== false) sim.stats.recordError(errcode);
  return replyJson(reply, errorBody(errcode, options.errmsg), options.status ?? 200);
}

/** `{"errcode":0,"errmsg":"ok"}`, the success body of the APIs that have one. */
export const OK_BODY = '{"errcode":0,"errmsg":"ok"}';
